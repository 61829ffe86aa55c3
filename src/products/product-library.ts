/**
 * Ops manage the product library. A product version that a loan uses is frozen: changing
 * it retires that version and creates the next one, so signed contracts keep their terms.
 */
import { DomainError } from '../core/domain-error.js';
import { SEED_PRODUCTS, validateProduct, type ProductDefinition } from '../core/product.js';
import type { RatePpm } from '../core/rate.js';
import type { Database, Queryable } from '../db/database.js';
import { findLatestProduct, type StoredProduct } from './product-repository.js';

async function insertVersion(tx: Queryable, p: ProductDefinition, version: number): Promise<void> {
  await tx.query(
    `INSERT INTO products (code, version, name, min_amount_fen, max_amount_fen, annual_rate_ppm, term_months, method,
       penalty_rate_ppm, service_fee_ppm)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [p.code, version, p.name, p.minAmountFen, p.maxAmountFen, p.annualRatePpm, p.termMonths, p.method, p.penaltyRatePpm, p.serviceFeePpm]);
}

async function lockProductCode(tx: Queryable, code: string): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('product:' || $1))`, [code]);
}

export async function createProduct(db: Database, p: ProductDefinition, ceilingPpm: RatePpm): Promise<StoredProduct> {
  validateProduct(p, ceilingPpm);
  return db.transaction(async (tx) => {
    await lockProductCode(tx, p.code);
    if (await findLatestProduct(tx, p.code)) throw new DomainError('PRODUCT_EXISTS', `product ${p.code} already exists`, 'code');
    await insertVersion(tx, p, 1);
    return (await findLatestProduct(tx, p.code))!;
  });
}

export interface ProductChange {
  product: StoredProduct;
  /** True when the previous version was in use and a new version was created. */
  versioned: boolean;
}

export async function changeProduct(db: Database, p: ProductDefinition, ceilingPpm: RatePpm): Promise<ProductChange> {
  validateProduct(p, ceilingPpm);
  return db.transaction(async (tx) => {
    await lockProductCode(tx, p.code);
    const current = await findLatestProduct(tx, p.code);
    if (!current) throw new DomainError('PRODUCT_NOT_FOUND', `no product ${p.code}`, 'code');
    if (current.status === 'retired') throw new DomainError('PRODUCT_RETIRED', `product ${p.code} is retired`, 'code');
    const [usage] = await tx.query<{ used: boolean }>(`SELECT EXISTS (SELECT 1 FROM loans WHERE product_id = $1) AS used`, [current.id]);
    if (usage?.used) {
      await tx.query(`UPDATE products SET status = 'retired', retired_at = now() WHERE id = $1`, [current.id]);
      await insertVersion(tx, p, current.version + 1);
    } else {
      await tx.query(
        `UPDATE products SET name = $2, min_amount_fen = $3, max_amount_fen = $4, annual_rate_ppm = $5, term_months = $6,
           method = $7, penalty_rate_ppm = $8, service_fee_ppm = $9 WHERE id = $1`,
        [current.id, p.name, p.minAmountFen, p.maxAmountFen, p.annualRatePpm, p.termMonths, p.method, p.penaltyRatePpm, p.serviceFeePpm]);
    }
    return { product: (await findLatestProduct(tx, p.code))!, versioned: Boolean(usage?.used) };
  });
}

export async function retireProduct(db: Database, code: string): Promise<StoredProduct> {
  return db.transaction(async (tx) => {
    await lockProductCode(tx, code);
    const current = await findLatestProduct(tx, code);
    if (!current) throw new DomainError('PRODUCT_NOT_FOUND', `no product ${code}`, 'code');
    if (current.status === 'retired') throw new DomainError('PRODUCT_RETIRED', `product ${code} is already retired`, 'code');
    await tx.query(`UPDATE products SET status = 'retired', retired_at = now() WHERE id = $1`, [current.id]);
    return { ...current, status: 'retired' };
  });
}

/** Seeds the seed's product library once; existing codes are left as ops last set them. */
export async function seedProductLibrary(db: Database, ceilingPpm: RatePpm): Promise<void> {
  await db.transaction(async (tx) => {
    for (const p of SEED_PRODUCTS) {
      validateProduct(p, ceilingPpm);
      await lockProductCode(tx, p.code);
      if (!(await findLatestProduct(tx, p.code))) await insertVersion(tx, p, 1);
    }
  });
}
