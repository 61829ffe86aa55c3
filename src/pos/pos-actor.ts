/** Who does something at a store: every POS action records the store, the terminal and the staff member. */
export interface PosActor {
  storeCode: string;
  terminalId: string;
  staffId: string;
  role: 'clerk' | 'manager';
}

/** The audit string stored with transitions and ledger references. */
export function describeActor(actor: PosActor): string {
  return `pos:${actor.storeCode}/${actor.terminalId}/${actor.staffId}`;
}
