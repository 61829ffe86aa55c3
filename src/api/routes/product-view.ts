import { Type } from '@fastify/type-provider-typebox';
import { formatRatePercent } from '../../core/rate.js';
import type { StoredProduct } from '../../products/product-repository.js';

export const ProductView = Type.Object({
  code: Type.String(),
  version: Type.Integer(),
  name: Type.String(),
  status: Type.String(),
  minAmountFen: Type.Integer(),
  maxAmountFen: Type.Integer(),
  annualRatePercent: Type.String(),
  termMonths: Type.Integer(),
  method: Type.String(),
  penaltyRatePercent: Type.String(),
  serviceFeePercent: Type.String(),
});

export function productView(p: StoredProduct) {
  return {
    code: p.code, version: p.version, name: p.name, status: p.status,
    minAmountFen: p.minAmountFen, maxAmountFen: p.maxAmountFen, annualRatePercent: formatRatePercent(p.annualRatePpm),
    termMonths: p.termMonths, method: p.method, penaltyRatePercent: formatRatePercent(p.penaltyRatePpm),
    serviceFeePercent: formatRatePercent(p.serviceFeePpm),
  };
}
