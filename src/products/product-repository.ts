import { DomainError } from '../core/domain-error.js';
import type { ProductDefinition } from '../core/product.js';
import type { RepaymentMethod } from '../core/schedule.js';
import type { Queryable } from '../db/database.js';

export interface StoredProduct extends ProductDefinition {
  id: number;
  version: number;
  status: 'active' | 'retired';
}

interface ProductRow {
  id: number; code: string; version: number; name: string; min_amount_fen: number; max_amount_fen: number;
  annual_rate_ppm: number; term_months: number; method: string; penalty_rate_ppm: number; service_fee_ppm: number; status: string;
}

export const PRODUCT_COLUMNS = `id, code, version, name, min_amount_fen, max_amount_fen, annual_rate_ppm, term_months, method,
  penalty_rate_ppm, service_fee_ppm, status`;

export function productFromRow(row: ProductRow): StoredProduct {
  return {
    id: row.id, code: row.code, version: row.version, name: row.name,
    minAmountFen: row.min_amount_fen, maxAmountFen: row.max_amount_fen, annualRatePpm: row.annual_rate_ppm,
    termMonths: row.term_months, method: row.method as RepaymentMethod, penaltyRatePpm: row.penalty_rate_ppm,
    serviceFeePpm: row.service_fee_ppm, status: row.status === 'retired' ? 'retired' : 'active',
  };
}

/** The latest version of a product code, active or not. */
export async function findLatestProduct(q: Queryable, code: string): Promise<StoredProduct | undefined> {
  const rows = await q.query<ProductRow>(
    `SELECT ${PRODUCT_COLUMNS} FROM products WHERE code = $1 ORDER BY version DESC LIMIT 1`, [code]);
  return rows[0] ? productFromRow(rows[0]) : undefined;
}

export async function requireActiveProduct(q: Queryable, code: string, field: string): Promise<StoredProduct> {
  const product = await findLatestProduct(q, code);
  if (!product) throw new DomainError('PRODUCT_NOT_FOUND', `${field}: no product ${code}`, field);
  if (product.status !== 'active') throw new DomainError('PRODUCT_RETIRED', `${field}: product ${code} is retired`, field);
  return product;
}

export async function listProducts(q: Queryable, activeOnly: boolean): Promise<StoredProduct[]> {
  const rows = await q.query<ProductRow>(
    `SELECT ${PRODUCT_COLUMNS} FROM products ${activeOnly ? `WHERE status = 'active'` : ''} ORDER BY code, version`);
  return rows.map(productFromRow);
}
