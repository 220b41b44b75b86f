import { AggregationPreconditionError } from './errors.ts'

/**
 * Check a rule's inputs: at least `minInputs` of them, all of one length.
 * @returns the common length d.
 * @throws AggregationPreconditionError naming the rule, what it needs and what it got.
 */
export function checkInputs (rule: string, inputs: readonly Float32Array[], minInputs: number, requirement: string): number {
  const first = inputs[0]
  if (first === undefined || inputs.length < minInputs) {
    throw new AggregationPreconditionError(
      `${rule} needs at least ${Math.max(1, minInputs)} inputs (${requirement}), got ${inputs.length}`)
  }
  const d = first.length
  for (let i = 1; i < inputs.length; i++) {
    const length = (inputs[i] as Float32Array).length
    if (length !== d) {
      throw new AggregationPreconditionError(`${rule}: input ${i} has ${length} values, input 0 has ${d}`)
    }
  }
  return d
}

/** Throw unless `value` is an integer at least `min`; `what` names it in the message. */
export function checkCount (rule: string, what: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new AggregationPreconditionError(`${rule}: ${what} must be an integer >= ${min}, got ${value}`)
  }
}

/** Throws AggregationPreconditionError unless `value` is a finite number > 0. */
export function checkPositive (rule: string, what: string, value: number): void {
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new AggregationPreconditionError(`${rule}: ${what} must be a finite number > 0, got ${value}`)
  }
}
