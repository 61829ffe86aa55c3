import type { Queryable } from '../db/database.js';

export interface AccountBalance {
  code: string;
  ownerType: string;
  ownerId: string;
  purpose: string;
  balanceFen: number;
}

export interface TrialBalance {
  accounts: AccountBalance[];
  byPurpose: { purpose: string; balanceFen: number; accounts: number }[];
  /** Sum of every account; zero unless money appeared or vanished. */
  totalFen: number;
  /** Accounts whose running balance disagrees with their postings; empty unless the ledger has a bug. */
  mismatchedAccounts: string[];
}

/**
 * Balances derived from the immutable postings (not the running balance column), with the
 * accounts whose running balance disagrees. Reported rather than thrown, so ops can see
 * exactly what is wrong when something is.
 */
export async function trialBalance(q: Queryable): Promise<TrialBalance> {
  const accounts = await q.query<AccountBalance & { runningFen: number }>(
    `SELECT a.code, a.owner_type AS "ownerType", a.owner_id AS "ownerId", a.purpose,
            coalesce(p.total, 0)::bigint AS "balanceFen", a.balance_fen AS "runningFen"
     FROM ledger_accounts a LEFT JOIN (SELECT account_id, sum(amount_fen) AS total FROM postings GROUP BY account_id) p
       ON p.account_id = a.id
     ORDER BY a.code`);
  const byPurpose = new Map<string, { purpose: string; balanceFen: number; accounts: number }>();
  let totalFen = 0;
  const mismatchedAccounts: string[] = [];
  for (const account of accounts) {
    if (account.balanceFen !== account.runningFen) mismatchedAccounts.push(account.code);
    totalFen += account.balanceFen;
    const group = byPurpose.get(account.purpose) ?? { purpose: account.purpose, balanceFen: 0, accounts: 0 };
    group.balanceFen += account.balanceFen;
    group.accounts += 1;
    byPurpose.set(account.purpose, group);
  }
  return {
    accounts: accounts.map(({ runningFen: _, ...rest }) => rest),
    byPurpose: [...byPurpose.values()].sort((a, b) => a.purpose.localeCompare(b.purpose)),
    totalFen,
    mismatchedAccounts,
  };
}
