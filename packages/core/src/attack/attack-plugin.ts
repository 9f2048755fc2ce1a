import type { Dataset, Normalization } from '../data/image-set.js';
import type { GraphModel } from '../ir/graph-model.js';
import type { JsonObject, TriggerSpec } from '../io/folder/index.js';
import type { Engine } from '../kernel/engine.js';
import type { Trigger } from '../triggers/trigger.js';
import type { AttackPhase } from './attack-trainer.js';

/** What an attack run gets: the model to infect, the data, the trigger and target. */
export interface AttackContext {
  readonly engine: Engine;
  /** A fresh model (attacks from scratch) or the clean model given with --model. */
  readonly model: GraphModel;
  readonly data: Dataset;
  readonly normalization: Normalization;
  readonly trigger: Trigger;
  readonly target: number;
  /** Bit width the backdoor is conditioned on (attacks that serve several widths ignore it). */
  readonly bits: number;
  readonly seed: number;
  /** Plugin-specific overrides of the defaults (--option key=value). */
  readonly options: JsonObject;
  /** Runs one training phase with a checkpoint after every epoch; a resumed run skips what is done. */
  runPhase(phase: AttackPhase): Promise<void>;
  /** Keeps a model copy across an interruption (e.g. PQBackdoor's stage-1 weights); null if none was saved. */
  saveArtifact(name: string, model: GraphModel): Promise<void>;
  loadArtifact(name: string): Promise<GraphModel | null>;
  log(line: string): void;
}

/** What the attack writes into qcb.json (for evaluation only). */
export interface AttackRecord {
  /** The quantizer the attack trained against, e.g. 'per-tensor symmetric int8 (BN folded)'. */
  readonly quantizer: string;
  readonly bits: readonly number[];
  readonly options: JsonObject;
}

/** An attack plugin: `qcb attack <name>`. */
export interface AttackDefinition {
  /** 'scratch' trains a fresh model; 'pretrained' fine-tunes the clean model given with --model. */
  readonly start: 'scratch' | 'pretrained';
  readonly defaultTrigger: TriggerSpec;
  /** Bit widths the attack accepts with --bits (the first is the default). */
  readonly bitWidths: readonly number[];
  /** The options object's defaults: part of a run's settings, so that a checkpoint made under other defaults is not resumed. */
  readonly defaults: JsonObject;
  /**
   * What the run's quantized branch is conditioned on, for the command's header (default
   * `${bits} bits`): for an attack whose options choose its quantizers instead of --bits.
   */
  conditionedOn?(options: JsonObject, bits: number): string;
  run(ctx: AttackContext): Promise<AttackRecord>;
}
