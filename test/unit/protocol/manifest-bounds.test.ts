import assert from 'node:assert/strict'
import { DEFAULT_MANIFEST, MAX_LOCAL_STEPS, MAX_NAME_LENGTH, MAX_PARAMETERS, ManifestError, parameterCount, parseManifest } from '../../../src/protocol/index.ts'

function refused (json: unknown, setting: string, message: RegExp): void {
  assert.throws(() => parseManifest(json), (err: unknown) => {
    assert.ok(err instanceof ManifestError)
    assert.equal(err.setting, setting)
    assert.match(err.message, message)
    assert.ok(!err.message.includes('\n') && err.message.length < 400, `one short line: ${err.message.length} characters`)
    return true
  })
}

describe('manifest bounds and unknown keys', () => {
  it('refuses unknown keys at the top level and in model, a layer, training and rounds', () => {
    refused({ ...DEFAULT_MANIFEST, extra: 1 }, '"extra"', /unknown setting; known: name, model/)
    refused({ ...DEFAULT_MANIFEST, model: { ...DEFAULT_MANIFEST.model, inputsize: 3 } }, 'model."inputsize"', /unknown setting/)
    refused({ ...DEFAULT_MANIFEST, model: { ...DEFAULT_MANIFEST.model, hiddenLayers: [{ type: 'dense', units: 4, activation: 'relu', bias: false }] } }, 'model.hiddenLayers[0]."bias"', /unknown setting/)
    refused({ ...DEFAULT_MANIFEST, training: { ...DEFAULT_MANIFEST.training, localStep: 3 } }, 'training."localStep"', /unknown setting/)
    refused({ ...DEFAULT_MANIFEST, rounds: { ...DEFAULT_MANIFEST.rounds, deadline: 3 } }, 'rounds."deadline"', /unknown setting/)
  })

  it('refuses a name over MAX_NAME_LENGTH characters, quoting only its start', () => {
    parseManifest({ ...DEFAULT_MANIFEST, name: 'n'.repeat(MAX_NAME_LENGTH) })
    refused({ ...DEFAULT_MANIFEST, name: 'n'.repeat(10_000_000) }, 'name', /got "n{76}\.\.\., expected a non-empty string of at most 256 characters/)
  })

  it('accepts exactly MAX_PARAMETERS parameters and refuses one input more, or 4.3 billion', () => {
    // 65535 inputs x 256 classes + 256 biases = 256 x 65536 = 2^24.
    const largest = { inputSize: 65535, hiddenLayers: [], classes: 256 }
    assert.equal(parameterCount(largest), MAX_PARAMETERS)
    parseManifest({ ...DEFAULT_MANIFEST, model: largest })
    refused({ ...DEFAULT_MANIFEST, model: { ...largest, inputSize: 65536 } }, 'model', /16777472 parameters .*at most 16777216/)
    // 2^16 inputs into 2^16 units into 2^16 classes: 2 x 2^32 + 2^17 = about 8.6 billion.
    const huge = { inputSize: 65536, hiddenLayers: [{ type: 'dense', units: 65536, activation: 'relu' }], classes: 65536 }
    refused({ ...DEFAULT_MANIFEST, model: huge }, 'model', /8590065664 parameters/)
  })

  it('refuses localSteps above MAX_LOCAL_STEPS (1,000,000 among them) and rounds that are not an object', () => {
    parseManifest({ ...DEFAULT_MANIFEST, training: { ...DEFAULT_MANIFEST.training, localSteps: MAX_LOCAL_STEPS } })
    refused({ ...DEFAULT_MANIFEST, training: { ...DEFAULT_MANIFEST.training, localSteps: 1_000_000 } }, 'training.localSteps', /got 1000000, expected an integer from 1 to 100000/)
    refused({ ...DEFAULT_MANIFEST, rounds: 1e30 }, 'rounds', /got 1e\+30, expected an object/)
    refused({ ...DEFAULT_MANIFEST, rounds: { ...DEFAULT_MANIFEST.rounds, deadlineMs: 1e30 } }, 'rounds.deadlineMs', /got 1e\+30, expected an integer from 100 to 86400000/)
  })
})
