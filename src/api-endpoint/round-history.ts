/** Round records a node keeps for `/api/v1/rounds` (about 1 MB at most): the most `meshtrain rounds` can show. */
export const MAX_ROUND_HISTORY = 5000
