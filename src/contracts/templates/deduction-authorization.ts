/**
 * 《委托划扣协议书》: the borrower (委托人) authorises the platform (受托人) to collect
 * installments from the passbook account and/or the phone account, whichever were chosen.
 *
 * The seed lists the five documents as always signed, so this one is always part of the
 * set. When neither passbook nor phone credit was chosen it says so and authorises
 * nothing: a signed record that no automatic deduction was agreed is worth more than a
 * missing document (nobody can later claim one was signed and lost).
 *
 * The accounts that may be debited are written in full here (passbook account number,
 * mobile number): a debit mandate must name its account beyond doubt. The ID number stays
 * masked and the mandate cites the 借款协议 that carries it in full.
 */
import { chineseDate } from '../../core/chinese-amount.js';
import type { ContractContext } from '../contract-context.js';
import {
  borrowerBlockMasked, channelList, contractNumber, documentText, moneyText, numbered, platformBlock, ratePercent,
  REPAYMENT_CHANNEL_LABELS, REPAYMENT_METHOD_LABELS, scheduleTable, signingFooter, signingPlace,
} from '../format.js';
import type { ContractTemplate } from './template.js';

export const DEDUCTION_CHANNELS = ['passbook', 'phone_credit'] as const;

export function authorisedDeductionChannels(ctx: ContractContext): ('passbook' | 'phone_credit')[] {
  return DEDUCTION_CHANNELS.filter((c) => ctx.channels.includes(c));
}

/** Written when no deduction channel was chosen. */
export const NO_DEDUCTION_TEXT = '甲方未选择存折自动划扣或话费划扣，未授权乙方或任何第三方从甲方的存折账户、银行账户或手机话费账户划扣任何款项。';

function accountLines(ctx: ContractContext): string[] {
  const lines: string[] = [];
  const channels = authorisedDeductionChannels(ctx);
  channels.forEach((channel, i) => {
    const head = `（${'一二'[i]}）`;
    if (channel === 'passbook') {
      lines.push(`${head}${REPAYMENT_CHANNEL_LABELS.passbook}：开户银行${ctx.passbook!.bankName}，户名${ctx.borrower.name}，存折账号${ctx.passbook!.accountNumber}（须为甲方本人账户）。`);
    } else {
      lines.push(`${head}${REPAYMENT_CHANNEL_LABELS.phone_credit}：手机号码${ctx.borrower.mobile}（机主须为甲方本人）。`
        + '预付费账户从话费余额中扣减；后付费账户将当期应还款项计入当月话费账单，随话费一并缴纳。划扣由该号码所属电信运营商按乙方的指令执行。');
    }
  });
  return lines;
}

function orderClauses(ctx: ContractContext): string[] {
  const channels = authorisedDeductionChannels(ctx);
  const first = channels.length === 2
    ? '自各期应还款日起，乙方先从存折账户划扣当期应还未还金额；存折账户余额不足或划扣失败的，差额再从手机话费账户划扣。'
    : `自各期应还款日起，乙方从上述${REPAYMENT_CHANNEL_LABELS[channels[0]!]}账户划扣当期应还未还金额。`;
  return numbered([
    first,
    '甲方在应还款日前已通过营业厅现金还款或其他方式归还的部分，不再划扣；同一笔应还款项不重复扣收。',
    '划扣所得按《借款协议》约定的顺序清偿：罚息、服务费、逾期利息、逾期本金（期次在先者优先）、当期利息、当期本金。',
    '逾期期间，乙方可按上述顺序继续划扣，直至逾期款项全部清偿。',
  ]);
}

function reserveClauses(ctx: ContractContext): string[] {
  if (!ctx.channels.includes('phone_credit')) return [];
  return [
    '',
    '第四条 话费保留余额',
    ...numbered([
      `为保障甲方正常通信，预付费账户每次划扣后的话费余额不低于${moneyText(ctx.prepaidReserveFen)}（保留余额），乙方不划扣保留余额。`,
      '可用余额（话费余额减保留余额）不足当期应还金额的，乙方可先就可用部分划扣，其余部分在甲方充值后或下次划扣时继续划扣。',
      '后付费账户不适用保留余额。',
    ]),
  ];
}

function authorisedBody(ctx: ContractContext): string[] {
  const no = contractNumber(ctx);
  const hasReserve = ctx.channels.includes('phone_credit');
  const n = (k: number) => `第${'一二三四五六七八九'[k - 1]}条`;
  const after = hasReserve ? 5 : 4;
  return [
    `${n(1)} 授权内容`,
    `甲方授权乙方，在编号为${no}的《借款协议》存续期间，`
      + '从下列账户划扣甲方在该协议及《信用咨询及管理服务协议》项下的应还款项（包括本金、利息、服务费及罚息），用于清偿上述债务：',
    ...accountLines(ctx),
    '',
    `${n(2)} 划扣金额`,
    '每次划扣的金额不超过划扣时甲方应还未还的款项。各期应还款日及应还金额见本协议所附还款计划表。',
    '',
    `${n(3)} 划扣顺序`,
    ...orderClauses(ctx),
    ...reserveClauses(ctx),
    '',
    `${n(after)} 划扣失败与通知`,
    ...numbered([
      '划扣不足或失败的，不免除甲方的还款义务，甲方应及时通过营业厅现金还款等方式补足，逾期的按《借款协议》计收罚息。',
      '每笔划扣均使用唯一的业务参考号，同一笔款项不会被重复扣收；如发生多扣，乙方核实后全额退还至原账户。',
      '每次划扣成功后，乙方以短信将划扣金额通知甲方手机号码。',
    ]),
    '',
    `${n(after + 1)} 变更与撤销`,
    '甲方可携带本人身份证到签约营业厅申请变更划扣账户或撤销本授权。撤销自乙方确认之日起生效，已发起的划扣不受影响；'
      + '撤销后甲方应通过营业厅现金还款等方式按期还款。',
    '',
    `${n(after + 2)} 协议期限`,
    `本协议自甲方以短信验证码确认签署之日起生效，至编号为${no}的《借款协议》项下全部债务清偿之日或本授权撤销之日终止。`,
  ];
}

function noAuthorisationBody(ctx: ContractContext): string[] {
  return [
    '第一条 划扣授权情况',
    `甲方本次选择的还款渠道为：${channelList(ctx.channels)}。${NO_DEDUCTION_TEXT}`,
    '',
    '第二条 效力',
    '本协议书仅记录上述事实，不构成任何划扣授权。甲方应按还款计划表通过营业厅现金还款。'
      + '甲方日后需要开通存折自动划扣或话费划扣的，须到营业厅另行签署新的委托划扣协议书。',
  ];
}

function render(ctx: ContractContext): string {
  const no = contractNumber(ctx);
  const { loan } = ctx;
  const authorised = authorisedDeductionChannels(ctx).length > 0;
  return documentText([
    '委托划扣协议书',
    '',
    `合同编号：${no}`,
    `模板版本：${DEDUCTION_AUTHORIZATION.version}`,
    '',
    ...borrowerBlockMasked(ctx, '甲方（委托人、借款人）'),
    '',
    ...platformBlock(ctx, '乙方（受托人、居间服务方）'),
    '',
    `签约地点：${signingPlace(ctx)}`,
    '',
    `甲方通过乙方平台借款，借款本金${moneyText(loan.principalFen)}，年利率${ratePercent(loan.annualRatePpm)}，`
      + `借款期限${loan.termMonths}个月，还款方式为${REPAYMENT_METHOD_LABELS[loan.method]}，`
      + `并于${chineseDate(ctx.signingDate)}签署编号为${no}的《借款协议》。就该借款的还款划扣事宜，双方约定如下：`,
    '',
    ...(authorised ? authorisedBody(ctx) : noAuthorisationBody(ctx)),
    '',
    '附件：还款计划表',
    ...scheduleTable(ctx),
    '',
    '（以下为签署栏）',
    ...signingFooter(ctx, '甲方（委托人）'),
    `乙方（受托人）：${ctx.platform.name}（电子签章）`,
  ]);
}

export const DEDUCTION_AUTHORIZATION: ContractTemplate<'deduction_authorization'> = {
  kind: 'deduction_authorization',
  title: '委托划扣协议书',
  version: '2026.1',
  render,
};
