/**
 * Every error response has one shape: {"code", "message", "field"?}. Codes are stable;
 * this file is the one place that decides which HTTP status each code gets.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../core/domain-error.js';
import { LoanImportError } from '../loans/import-loan-book.js';

export type ErrorBody = {
  code: string;
  message: string;
  field?: string;
};

const STATUS_BY_CODE: Record<string, number> = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  LOAN_NOT_FOUND: 404,
  PRODUCT_NOT_FOUND: 404,
  COB_RUN_NOT_FOUND: 404,
  DEAD_LETTER_NOT_FOUND: 404,
  DEDUCTION_RUN_NOT_FOUND: 404,
  CHARGE_NOT_FOUND: 404,
  MANDATE_NOT_FOUND: 404,
  BREAK_NOT_FOUND: 404,
  SUBSCRIBER_NOT_FOUND: 404,
  APPLICATION_NOT_FOUND: 404,
  CUSTOMER_NOT_FOUND: 404,
  CONTRACT_NOT_FOUND: 404,
  DISBURSEMENT_NOT_FOUND: 404,
  OTP_NOT_FOUND: 404,
  OTP_USED: 409,
  OTP_EXPIRED: 409,
  OTP_LOCKED: 409,
  DOCUMENTS_CHANGED: 409,
  LOAN_NOT_SIGNABLE: 409,
  LOAN_NOT_DISBURSABLE: 409,
  DISBURSEMENT_IN_PROGRESS: 409,
  DISBURSEMENT_NOT_AWAITING_RECEIPT: 409,
  STORE_DAY_CLOSED: 409,
  OTP_WRONG: 422,
  PAYEE_NOT_BORROWER: 422,
  PAYOFF_SHORT: 422,
  SMS_MARKETING_NOT_ENABLED: 409,
  SMS_REFERENCE_REUSED: 409,
  SMS_TEXT_TOO_LONG: 422,
  DECISION_NOT_FOUND: 404,
  SCORECARD_NOT_FOUND: 404,
  LIST_ENTRY_NOT_FOUND: 404,
  CONSENT_NOT_FOUND: 404,
  APPLICATION_ALREADY_OPEN: 409,
  APPLICATION_ILLEGAL_TRANSITION: 409,
  APPLICATION_NOT_APPROVED: 409,
  APPLICATION_NOT_IN_REVIEW: 409,
  APPLICATION_NOT_DECIDABLE: 409,
  APPLICATION_CLOSED: 409,
  CALLBACK_NOT_REQUESTED: 409,
  CALLBACK_ALREADY_DONE: 409,
  DECISION_NOT_OVERRIDABLE: 409,
  SCORECARD_EXISTS: 409,
  SCORECARD_NOT_CONFIGURED: 409,
  NO_ACTIVE_PRODUCTS: 409,
  LIST_ENTRY_EXISTS: 409,
  OFFER_NOT_FOUND: 409,
  AMOUNT_ABOVE_OFFER: 422,
  CONSENT_REQUIRED: 422,
  COURT_LIST_INVALID: 422,
  COURT_LIST_FULL_EMPTY: 422,
  INVALID_SCORECARD: 422,
  NOT_SIMULATED: 409,
  NO_PHONE_CREDIT_CHANNEL: 409,
  REFUND_EXCEEDS_CREDIT: 422,
  LOAN_ILLEGAL_TRANSITION: 409,
  LOAN_NOT_REPAYABLE: 409,
  PRODUCT_EXISTS: 409,
  PRODUCT_RETIRED: 409,
  REPAYMENT_REFERENCE_REUSED: 409,
  LEDGER_IDEMPOTENCY_CONFLICT: 409,
  COB_LEDGER_CONFLICT: 409,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  BORROWING_CAP_EXCEEDED: 422,
  IMPORT_INVALID: 422,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
  // Carrier stores: the registry, staff sessions and POS idempotency.
  STORE_NOT_FOUND: 404,
  TERMINAL_NOT_FOUND: 404,
  STORE_EXISTS: 409,
  STORE_CLOSED: 409,
  TERMINAL_EXISTS: 409,
  TERMINAL_STATUS_UNCHANGED: 409,
  STAFF_EXISTS: 409,
  STAFF_CREDENTIALS_INVALID: 401,
  STAFF_SESSION_REQUIRED: 401,
  STAFF_SESSION_INVALID: 401,
  STAFF_DISABLED: 403,
  STAFF_LOCKED_OUT: 429,
  IDEMPOTENCY_KEY_REQUIRED: 400,
  IDEMPOTENCY_KEY_INVALID: 400,
  IDEMPOTENCY_KEY_REUSED: 422,
  IDEMPOTENCY_IN_PROGRESS: 409,
  // Investor accounts.
  INVESTOR_EXISTS: 409,
  INVESTOR_CREDENTIALS_INVALID: 401,
  WEAK_PASSWORD: 400,
  INVALID_BANK_CARD: 400,
  INVALID_QUESTIONNAIRE: 400,
};

/** A whole-file rejection that lists its bad lines (loan book, court list). */
function isLineErrors(error: unknown): error is DomainError & { errors: unknown[]; totalErrors: number } {
  return error instanceof DomainError && Array.isArray((error as { errors?: unknown }).errors)
    && typeof (error as { totalErrors?: unknown }).totalErrors === 'number';
}

export function statusForCode(code: string): number {
  return STATUS_BY_CODE[code] ?? 400;
}

export function sendError(reply: FastifyReply, status: number, body: ErrorBody & { [extra: string]: unknown }): FastifyReply {
  return reply.status(status).send(body);
}

interface ValidationIssue {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/** Turns the first schema violation into the field it concerns and a sentence about it. */
function describeValidation(issue: ValidationIssue, context: string): ErrorBody {
  const path = issue.instancePath.replace(/^\//, '').replaceAll('/', '.');
  const missing = issue.params.missingProperty;
  const extra = issue.params.additionalProperty;
  const field = typeof missing === 'string' ? (path ? `${path}.${missing}` : missing)
    : typeof extra === 'string' ? (path ? `${path}.${extra}` : extra)
      : path || context;
  const reason = typeof missing === 'string' ? 'is required'
    : typeof extra === 'string' ? 'is not a known field'
      : issue.message ?? 'is invalid';
  return { code: 'VALIDATION_FAILED', message: `${field} ${reason}`, field };
}

const FASTIFY_CODES: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'BODY_TOO_LARGE', message: 'the request body is larger than this route accepts' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'the request content type is not accepted here' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'INVALID_JSON', message: 'the JSON body is empty' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'INVALID_JSON', message: 'the body is not valid JSON' },
};

export function errorHandler(error: FastifyError | DomainError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof LoanImportError || isLineErrors(error)) {
    return sendError(reply, 422, { code: error.code, message: error.message, totalErrors: error.totalErrors, errors: error.errors });
  }
  if (error instanceof DomainError) {
    const body: ErrorBody = { code: error.code, message: error.message };
    if (error.field) body.field = error.field;
    return sendError(reply, statusForCode(error.code), body);
  }
  if (error.validation && error.validation.length > 0) {
    return sendError(reply, 400, describeValidation(error.validation[0] as ValidationIssue, error.validationContext ?? 'body'));
  }
  const known = error.code ? FASTIFY_CODES[error.code] : undefined;
  if (known) return sendError(reply, known.status, { code: known.code, message: known.message });
  if (error.statusCode === 400 && error instanceof SyntaxError) {
    return sendError(reply, 400, { code: 'INVALID_JSON', message: 'the body is not valid JSON' });
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return sendError(reply, error.statusCode, { code: error.code ?? 'BAD_REQUEST', message: error.message });
  }
  request.log.error({ err: error }, 'unhandled error');
  return sendError(reply, 500, { code: 'INTERNAL_ERROR', message: 'an internal error occurred; it has been logged' });
}
