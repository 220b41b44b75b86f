export * from './merkle-hash.ts'
export * from './merkle-tree.ts'
export * from './merkle-verify.ts'
