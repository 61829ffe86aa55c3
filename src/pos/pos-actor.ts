import type { PosRequestContext } from './terminal-auth.js';

/** Who does something at a store: every POS action records the store, the terminal and the staff member. */
export type PosActor = Required<PosRequestContext>;

/** The audit string stored with transitions and ledger references. */
export function describeActor(actor: PosActor): string {
  return `pos:${actor.storeCode}/${actor.terminalId}/${actor.staffId}`;
}
