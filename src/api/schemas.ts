/** Schema pieces shared by routes. Money is integer fen; dates are YYYY-MM-DD. */
import { Type } from '@fastify/type-provider-typebox';
import { AMOUNT_FEN_MAX } from '../core/money.js';

export const ErrorResponse = Type.Object({
  code: Type.String({ description: 'Stable machine-readable code' }),
  message: Type.String({ description: 'One sentence for people' }),
  field: Type.Optional(Type.String({ description: 'The input at fault, when one is' })),
}, { $id: 'ErrorResponse', additionalProperties: true });

export const errorRef = Type.Ref('ErrorResponse');

export const Fen = (description: string) => Type.Integer({ minimum: 1, maximum: AMOUNT_FEN_MAX, description });
export const SignedFen = (description: string) => Type.Integer({ description });
export const CalendarDateString = (description: string) =>
  Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: `${description} (YYYY-MM-DD, Asia/Shanghai)` });
export const RatePercent = (description: string) =>
  Type.Union([Type.String({ pattern: '^\\d{1,3}(\\.\\d{1,4})?$' }), Type.Number({ minimum: 0 })],
    { description: `${description}, percent per year, e.g. "10" or "9.4822"` });
export const IdParam = Type.Object({ id: Type.String({ pattern: '^[1-9][0-9]{0,14}$', description: 'Numeric id' }) });
export const Reason = Type.String({ minLength: 1, maxLength: 500, description: 'Why, in words, for the audit trail' });

/** Error responses every ops route can give, besides its own. */
export const opsErrors = {
  400: errorRef, 401: errorRef, 403: errorRef,
};
