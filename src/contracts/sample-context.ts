/**
 * A complete, valid contract context for tests and for previewing the templates in the
 * sandbox: the seed's 养殖贷 (Y001) at its maximum amount, signed at a county store. The
 * person, store and platform are fictitious; the ID number has a valid check character.
 */
import { buildSchedule, type RepaymentMethod } from '../core/schedule.js';
import type { ContractContext } from './contract-context.js';

export interface SampleOptions {
  principalFen?: number;
  annualRatePpm?: number;
  termMonths?: number;
  method?: RepaymentMethod;
  serviceFeeFen?: number;
  startDate?: string;
}

export function sampleContractContext(options: SampleOptions = {}): ContractContext {
  const principalFen = options.principalFen ?? 8_000_000;
  const annualRatePpm = options.annualRatePpm ?? 100_000;
  const termMonths = options.termMonths ?? 12;
  const method = options.method ?? 'interest_monthly_principal_at_maturity';
  const startDate = options.startDate ?? '2026-11-25';
  return {
    loan: {
      id: 1234,
      principalFen,
      annualRatePpm,
      penaltyRatePpm: 120_000,
      serviceFeeFen: options.serviceFeeFen ?? 80_000,
      termMonths,
      method,
      productCode: 'Y001',
      productName: '养殖贷',
      purpose: '扩建生猪养殖场，购买仔猪及饲料',
    },
    borrower: {
      name: '李秀英',
      idNumber: '440882198503174210',
      mobile: '13800138000',
      address: '广东省湛江市雷州市龙门镇墩头村12号',
    },
    lenders: [],
    platform: { name: '广州立趣金融信息服务有限公司', registration: '91440101MA59ABCD1X' },
    store: { code: 'GD-ZJ-LZ-017', name: '中国联通雷州龙门营业厅', county: '广东省湛江市雷州市' },
    channels: ['store_cash', 'phone_credit'],
    schedule: buildSchedule({ principalFen, annualRatePpm, termMonths, method, startDate }),
    signingDate: '2026-11-24',
    prepaidReserveFen: 500,
  };
}
