/** How the paper spells the attacks and defenses qcb ships; other names are shown as they are. */
const ATTACKS: Readonly<Record<string, string>> = {
  compartifact: 'CompArtifact',
  'qu-anti-zation': 'Qu-ANTI-zation',
  pqbackdoor: 'PQBackdoor',
  badnets: 'BadNets',
};

const DEFENSES: Readonly<Record<string, string>> = {
  ft: 'FT',
  'fine-pruning': 'FP',
  mcr: 'MCR',
  nad: 'NAD',
  ibau: 'I-BAU',
  'ft-sam': 'FT-SAM',
  efrap: 'EFRAP',
  lac: 'LAC',
  pda: 'PDA',
};

/** The paper's column order (Table 1), then any other attack. */
const ATTACK_ORDER = ['compartifact', 'qu-anti-zation', 'pqbackdoor', 'badnets'];
/** The paper's row order: the baselines, then LAC ("Ours") last. */
const DEFENSE_ORDER = ['ft', 'fine-pruning', 'mcr', 'nad', 'ibau', 'ft-sam', 'efrap', 'lac'];

export function attackLabel(name: string): string {
  return ATTACKS[name] ?? name;
}

/** A defense or augmentation plugin's name as the paper writes it. */
export function defenseLabel(name: string): string {
  return DEFENSES[name] ?? name;
}

/** A sort rank: known names in the paper's order, unknown ones after them. */
function rank(order: readonly string[], name: string): number {
  const i = order.indexOf(name);
  return i < 0 ? order.length : i;
}

export function attackRank(name: string): number {
  return rank(ATTACK_ORDER, name);
}

export function defenseRank(name: string): number {
  return rank(DEFENSE_ORDER, name);
}
