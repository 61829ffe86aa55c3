/**
 * What the lending side needs from the carrier's CRM. The SOAP adapter (adapters/crm/client.ts)
 * implements it; every foreign reply is mapped there to one of these outcomes.
 */
import type { CrmFieldGroup, CrmPurpose, SubscriberProfile } from '../core/subscriber-profile.js';

export interface SubscriberLookup {
  msisdn: string;
  purpose: CrmPurpose;
  /** The recorded consent that allows this lookup; the carrier logs it with the access. */
  consentRef: string;
  /** Only these groups are requested; FIELD_GROUPS_BY_PURPOSE[purpose] or fewer. */
  fields: readonly CrmFieldGroup[];
  /** Our reference for the call, for the carrier's access log and for tracing. */
  referenceCode: string;
}

export type SubscriberLookupOutcome =
  | { kind: 'found'; profile: SubscriberProfile }
  /** The carrier has no such number (never issued, or recycled and not yet re-issued). */
  | { kind: 'unknown_subscriber'; code: string; detail: string }
  /** The carrier refused the access, e.g. consent reference rejected. */
  | { kind: 'refused'; code: string; detail: string }
  /** No usable reply in time; the lookup may be retried. */
  | { kind: 'timeout'; code: 'TIMEOUT'; detail: string }
  /** A fault, an HTML page, malformed or unsafe XML, a reply that fails validation. */
  | { kind: 'service_error'; code: string; detail: string };

export interface CrmPort {
  lookupSubscriber(request: SubscriberLookup): Promise<SubscriberLookupOutcome>;
  close(): void;
}
