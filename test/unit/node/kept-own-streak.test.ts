import assert from 'node:assert/strict'
import { KeptOwnStreak, createStatusOutput, stallText } from '../../../src/node/index.ts'

const PEER = '12D3KooWGRbqsxkHgD9eSRt8C1ZKSTLBYzTvr4rGhnCpcuUdASKo'

function round (r: number, keptOwn: boolean): { round: number, keptOwn: boolean, heard: string[], inputs: number, needed: number } {
  return { round: r, keptOwn, heard: keptOwn ? [PEER] : [PEER, 'other'], inputs: keptOwn ? 2 : 3, needed: 3 }
}

describe('kept-own streak', () => {
  it('speaks up at the 5th round in a row that kept the node\'s own model, and at every 5th after', () => {
    const streak = new KeptOwnStreak('median')
    const said = Array.from({ length: 12 }, (_, r) => streak.observe(round(r, true))).map(s => s?.rounds)
    assert.deepEqual(said, [undefined, undefined, undefined, undefined, 5, undefined, undefined, undefined, undefined, 10, undefined, undefined])
  })

  it('an aggregated round resets the count', () => {
    const streak = new KeptOwnStreak('median')
    const kept = [true, true, true, true, false, true, true, true, true, true]
    const said = kept.map((k, r) => streak.observe(round(r, k)))
    assert.deepEqual(said.map((s, r) => s === undefined ? undefined : r), [...Array(9).fill(undefined), 9])
  })

  it('says which peers it heard, how many inputs and how many the rule needs, in the log text and the status line', () => {
    const streak = new KeptOwnStreak('median')
    let info
    for (let r = 0; r < 5; r++) info = streak.observe(round(r, true))
    assert.ok(info !== undefined)
    assert.equal(stallText(info), `kept its own model 5 rounds in a row: heard 1 peer (${PEER}) in round 4, 2 inputs, rule median needs 3`)
    const lines: string[] = []
    createStatusOutput('text', l => lines.push(l)).stalled(info)
    createStatusOutput('json', l => lines.push(l)).stalled(info)
    assert.equal(lines[0], `not aggregating: ${stallText(info)}`)
    assert.deepEqual(JSON.parse(lines[1] ?? ''), { event: 'stalled', rounds: 5, round: 4, heard: [PEER], inputs: 2, needed: 3, rule: 'median' })
    assert.equal(stallText({ ...info, heard: [] }), 'kept its own model 5 rounds in a row: heard no peer in round 4, 2 inputs, rule median needs 3')
  })
})
