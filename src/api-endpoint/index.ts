/**
 * Where a node's HTTP API listens and who may call it: the `api` setting's address, the file in
 * the data directory that tells the commands that address, and the bearer token. The server
 * (src/api/), the settings (src/node/) and the commands (src/cli/) share it; it loads nothing but
 * Node's own modules, so a command that only talks to a running node stays quick to start.
 */
export { API_ADDRESS_FILE, API_OFF, DEFAULT_API_ADDRESS, DEFAULT_API_PORT, formatApiAddress, isLoopbackHost, parseApiAddress } from './api-address.ts'
export type { ApiAddress } from './api-address.ts'
export { MAX_ROUND_HISTORY } from './round-history.ts'
export { API_TOKEN_BYTES, API_TOKEN_FILE, MAX_API_TOKEN_FILE_BYTES, MIN_API_TOKEN_LENGTH, bearerMatches, createApiToken, readApiToken } from './api-token.ts'
