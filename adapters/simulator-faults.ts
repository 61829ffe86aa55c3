/**
 * What the carrier simulators share to misbehave on purpose: a list of fault rules (the next
 * `times` calls, optionally for one number, each take the first matching rule) and the
 * Parlay X SOAP fault a simulated carrier answers with.
 */
export const PARLAY_X_COMMON_NS = 'http://www.csapi.org/schema/parlayx/common/v2_1';

export type ParlayXException = 'ServiceException' | 'PolicyException';

/** Which calls a rule applies to: the next `times` calls (default 1), optionally for one msisdn only. */
export interface FaultMatch {
  msisdn?: string;
  times?: number;
}

export type ParlayXFaultAction = { type: 'fault'; exception: ParlayXException; messageId: string; text: string; variables: string[] };

export interface ParlayXFaultOptions extends FaultMatch {
  exception: ParlayXException;
  messageId: string;
  text?: string;
  variables?: string[];
}

/** The fault action with the standard Parlay X text when none is given. */
export function parlayXFaultAction(options: ParlayXFaultOptions): ParlayXFaultAction {
  const text = options.text ?? (options.exception === 'ServiceException' ? 'A service error occurred. Error code is %1' : 'A policy error occurred. Error code is %1');
  return { type: 'fault', exception: options.exception, messageId: options.messageId, text, variables: options.variables ?? ['injected'] };
}

/** Injected misbehaviour; subclasses add one method per kind of action. */
export class FaultRules<Action> {
  private rules: { msisdn?: string; action: Action; remaining: number }[] = [];

  constructor(private readonly rulesMax: number) {}

  clear(): void {
    this.rules = [];
  }

  /** Rules not used up yet. */
  pending(): number {
    return this.rules.length;
  }

  /** Consumes one use of the first rule matching this call. */
  take(msisdn: string | undefined): Action | undefined {
    const rule = this.rules.find((r) => !r.msisdn || r.msisdn === msisdn);
    if (!rule) return undefined;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.rules = this.rules.filter((r) => r !== rule);
    return rule.action;
  }

  protected add(action: Action, match: FaultMatch): void {
    if (this.rules.length >= this.rulesMax) throw new Error(`fault plan holds at most ${this.rulesMax} rules`);
    const times = match.times ?? 1;
    if (!(times >= 1)) throw new Error('fault rule times must be at least 1');
    this.rules.push({ msisdn: match.msisdn, action, remaining: times });
  }
}

export type DelayAction = { type: 'delay'; delayMs: number };

/** The misbehaviour every Parlay X simulator offers besides its own (hang, malformed replies). */
export class ParlayXFaultPlan<Own> extends FaultRules<Own | DelayAction | ParlayXFaultAction> {
  /** Reply normally, `delayMs` late. */
  delay(options: FaultMatch & { delayMs: number }): void {
    this.add({ type: 'delay', delayMs: options.delayMs }, options);
  }

  /** Reply with this Parlay X fault instead of answering. */
  fault(options: ParlayXFaultOptions): void {
    this.add(parlayXFaultAction(options), options);
  }
}

/** What `soap` turns into a SOAP 1.1 fault with a Parlay X detail, HTTP 500. */
export function soapFault(exception: ParlayXException, messageId: string, text: string, variables: string[]): { Fault: object } {
  const faultstring = text.replace(/%(\d+)/g, (all, n: string) => variables[Number(n) - 1] ?? all);
  return {
    Fault: {
      faultcode: 'soap:Server',
      faultstring,
      detail: { [`px:${exception}`]: { attributes: { 'xmlns:px': PARLAY_X_COMMON_NS }, messageId, text, variables } },
      statusCode: 500,
    },
  };
}
