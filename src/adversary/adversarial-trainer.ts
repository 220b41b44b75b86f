import type { TrainingSpec } from '../protocol/index.ts'
import type { LocalTrainer } from '../round/index.ts'
import { isOmniscient } from './attack-spec.ts'
import type { AttackSpec } from './attack-spec.ts'

/**
 * An attacker's local trainer. Omniscient attackers announce a model crafted from the honest
 * ones, so they skip training (which keeps the robustness benchmark fast) and report their start
 * model with loss 0 and an ordinary round's sample count; every other attack trains as given
 * (label-flip through a trainer built with the label map 'flip', see `attackLabelMap`).
 * @param training the manifest's training settings: an ordinary round is localSteps × batchSize examples.
 */
export function adversarialTrainer (trainer: LocalTrainer, attack: AttackSpec, training: Pick<TrainingSpec, 'localSteps' | 'batchSize'>): LocalTrainer {
  if (!isOmniscient(attack)) return trainer
  return {
    train: async weights => ({ weights, loss: 0, sampleCount: training.localSteps * training.batchSize }),
    evaluateHoldout: async weights => trainer.evaluateHoldout(weights)
  }
}
