import assert from 'node:assert/strict'
import { METRIC_HELP, MeshtrainMetrics, NodeState } from '../../../src/api/index.ts'
import type { NetworkCounters } from '../../../src/api/index.ts'

/** `name{labels} value` lines of an exposition, by series. */
function samples (text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const space = line.lastIndexOf(' ')
    out.set(line.slice(0, space), Number(line.slice(space + 1)))
  }
  return out
}

describe('MeshtrainMetrics', () => {
  it('exposes every documented name with its help, in base units', async () => {
    let counters: NetworkCounters = { announcements: { accept: 4, malformed: 1 }, modelRequests: { accept: 2 }, peersConnected: 3, peersGraylisted: 1 }
    const metrics = new MeshtrainMetrics(() => counters)
    const state = new NodeState()
    const record = state.recordRound({
      round: 7, peers: 3, used: 2, refused: 1, keptOwn: false, loss: 0.25, accuracy: 0.875,
      durationMs: 2000, aggregationMs: 20, bytesFetched: 100
    }, { trainingMs: 500, evaluationMs: 80 })
    metrics.observeRound(record)
    metrics.observeFetch({ result: 'ok', bytes: 1000, seconds: 0.02 })
    metrics.observeFetch({ result: 'timeout', bytes: 0, seconds: 5 })
    const text = await metrics.text()
    for (const [name, help] of Object.entries(METRIC_HELP)) {
      assert.ok(text.includes(`# HELP ${name} ${help.replaceAll('\\', '\\\\')}\n`), name)
    }
    const s = samples(text)
    assert.equal(s.get('meshtrain_round'), 7)
    assert.equal(s.get('meshtrain_training_loss'), 0.25)
    assert.equal(s.get('meshtrain_holdout_accuracy_ratio'), 0.875)
    assert.equal(s.get('meshtrain_aggregation_inputs{result="used"}'), 2)
    assert.equal(s.get('meshtrain_aggregation_inputs_total{result="refused"}'), 1)
    assert.equal(s.get('meshtrain_round_duration_seconds_sum'), 2)
    assert.equal(s.get('meshtrain_round_phase_duration_seconds_sum{phase="wait"}'), 1.4)
    assert.equal(s.get('meshtrain_aggregation_duration_seconds_sum'), 0.02)
    assert.equal(s.get('meshtrain_payload_fetched_bytes_total'), 1000)
    assert.equal(s.get('meshtrain_payload_fetch_duration_seconds_count{result="timeout"}'), 1)
    assert.equal(s.get('meshtrain_models_received_total{result="malformed"}'), 1)
    assert.equal(s.get('meshtrain_model_requests_total{result="accept"}'), 2)
    assert.equal(s.get('meshtrain_peers_connected'), 3)
    assert.equal(s.get('meshtrain_peers_graylisted'), 1)
    assert.equal(s.get('meshtrain_rounds_kept_own_total'), 0)
    // Network counters are read at scrape time.
    counters = { ...counters, announcements: { accept: 9 } }
    const again = samples(await metrics.text())
    assert.equal(again.get('meshtrain_models_received_total{result="accept"}'), 9)
    assert.equal(again.has('meshtrain_models_received_total{result="malformed"}'), false)
  })
})
