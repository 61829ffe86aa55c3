/**
 * 《借款协议》: borrower (甲方), lenders (乙方, the investors of the funding list) and the
 * platform as intermediary (丙方, 居间). The only document that carries the borrower's full
 * ID number and mobile number: a loan contract must identify its debtor beyond doubt and
 * name an address for service (送达); every other document masks both and cites this one.
 */
import { chineseDate } from '../../core/chinese-amount.js';
import type { RepaymentChannel } from '../../core/loan-accounting.js';
import { sumFen } from '../../core/money.js';
import type { ContractContext } from '../contract-context.js';
import {
  channelList, contractNumber, documentText, loanTermsBlock, moneyText, numbered, otpConfirmationLine, platformBlock,
  ratePercent, REPAYMENT_CHANNEL_LABELS, REPAYMENT_METHOD_RULES, scheduleTable, signingPlace, textTable, yuanFigures,
} from '../format.js';
import type { ContractTemplate } from './template.js';

/** Shown in the lender line while the funding list is still empty. */
export const LENDERS_PENDING_TEXT = '出借人详见附件出借人名单';

function lenderLine(ctx: ContractContext): string {
  if (ctx.lenders.length === 0) return `乙方（出借人）：${LENDERS_PENDING_TEXT}`;
  return `乙方（出借人）：${ctx.lenders.map((l) => l.name).join('、')}（共${ctx.lenders.length}名，各出借人出借金额详见附件二《出借人名单》）`;
}

function lenderList(ctx: ContractContext): string[] {
  if (ctx.lenders.length === 0) {
    return [
      `${LENDERS_PENDING_TEXT}。本协议签署时借款尚未完成出借撮合（满标），出借人名单及各出借人出借金额于满标时由丙方根据出借人的出借记录确定，`
        + '在借款发放前通过短信及丙方平台告知甲方，并构成本协议附件。各出借人出借金额之和等于借款本金。',
    ];
  }
  const rows = ctx.lenders.map((l, i) => [String(i + 1), l.name, yuanFigures(l.amountFen)]);
  return textTable(
    [{ header: '序号', align: 'right' }, { header: '出借人', align: 'left' }, { header: '出借金额(元)', align: 'right' }],
    rows, ['合计', '', yuanFigures(sumFen(ctx.lenders.map((l) => l.amountFen)))]);
}

function channelClauses(ctx: ContractContext): string[] {
  const clauses: Record<RepaymentChannel, string> = {
    store_cash: `${REPAYMENT_CHANNEL_LABELS.store_cash}：甲方可携带本人身份证原件至签约营业厅或丙方公布的其他合作营业厅，在营业时间内于柜台以现金还款，营业厅当场出具还款凭证。`,
    passbook: `${REPAYMENT_CHANNEL_LABELS.passbook}：按同日签署的《委托划扣协议书》约定，从甲方指定的存折账户划扣当期应还款项。`,
    phone_credit: `${REPAYMENT_CHANNEL_LABELS.phone_credit}：按同日签署的《委托划扣协议书》约定，从甲方上述手机号码的话费账户划扣或计入话费账单。`,
  };
  return ctx.channels.map((c, i) => `（${'一二三'[i]}）${clauses[c]}`);
}

function render(ctx: ContractContext): string {
  const { loan, borrower } = ctx;
  const no = contractNumber(ctx);
  return documentText([
    '借款协议',
    '',
    `合同编号：${no}`,
    `模板版本：${LOAN_AGREEMENT.version}`,
    '',
    `甲方（借款人）：${borrower.name}`,
    `身份证号码：${borrower.idNumber}`,
    `手机号码：${borrower.mobile}`,
    `联系地址：${borrower.address}`,
    '',
    lenderLine(ctx),
    '',
    ...platformBlock(ctx, '丙方（居间服务方）'),
    '',
    `签约地点：${signingPlace(ctx)}`,
    '',
    '鉴于：',
    ...numbered([
      '甲方有资金需求，乙方愿意通过丙方运营的网络借贷信息中介平台向甲方出借资金；',
      '丙方为依法设立的网络借贷信息中介机构，为甲乙双方提供借贷信息发布、信用评估、撮合成交及还款管理等居间服务。'
        + '丙方不是本协议项下的出借人，不以自有资金出借，不对借款本息提供担保；',
      `${ctx.store.name}为丙方合作的电信运营商营业厅，受丙方委托为甲方办理签约、放款交付及现金还款手续。营业厅不是出借人，亦不承担借款本息的清偿责任。`,
    ]),
    '各方本着平等、自愿、诚实信用的原则，经协商一致，订立本协议，共同遵守。',
    '',
    '第一条 借款基本信息',
    ...loanTermsBlock(ctx),
    '',
    '第二条 借款的发放',
    ...numbered([
      '本协议经甲方以短信验证码确认签署，且借款完成出借撮合（满标）后，由乙方通过资金存管银行的存管账户划付借款本金。丙方及营业厅不归集、不占用出借资金。',
      '借款本金转入甲方指定的收款账户，或由签约营业厅凭甲方本人身份证及短信验证码以现金方式交付甲方，以放款凭证记载为准。借款期限及利息自放款之日起算。',
      '附件一《还款计划表》按计划放款日编制。实际放款日与计划放款日不同的，各期应还款日以实际放款日为准按月顺延（遇当月无对应日期的，为当月最后一日），'
        + '各期应还本金、利息及服务费金额不变，丙方以短信将调整后的应还款日告知甲方。',
    ]),
    '',
    '第三条 利息与服务费',
    ...numbered([
      `借款年利率为${ratePercent(loan.annualRatePpm)}（单利），月利率为年利率除以12。${REPAYMENT_METHOD_RULES[loan.method]}各期利息四舍五入至分。`,
      `甲方应按同日签署的《信用咨询及管理服务协议》向丙方支付信用咨询及管理服务费${moneyText(loan.serviceFeeFen)}，随第一期应还款项一并支付。`,
      '除本协议及《信用咨询及管理服务协议》约定的利息、服务费及逾期罚息外，乙方、丙方及营业厅不向甲方收取任何其他费用。',
    ]),
    '',
    '第四条 还款',
    ...numbered([
      '甲方应按附件一《还款计划表》，于各期应还款日（含当日）足额归还当期应还款项。',
      `甲方选择的还款渠道为：${channelList(ctx.channels)}。`,
    ]),
    ...channelClauses(ctx),
    ...numbered([
      '甲方每笔还款按下列顺序清偿：罚息、服务费、逾期利息、逾期本金（期次在先者优先）、当期利息、当期本金。'
        + '超出当期应还金额的部分记为甲方溢缴款，用于清偿以后各期应还款项，或经甲方申请予以退还，不因多付而丢失。',
      '甲方需提前归还全部或部分借款的，应至签约营业厅或通过丙方客服提出申请，按丙方届时公布的规则办理。',
    ], 3),
    '',
    '第五条 逾期与罚息',
    ...numbered([
      '甲方未在应还款日足额归还当期应还款项的，即构成逾期。',
      `自应还款日次日起至逾期本金清偿之日止，按日计收罚息：每日罚息=逾期本金×罚息年利率（${ratePercent(loan.penaltyRatePpm)}）÷360，`
        + '四舍五入至分。罚息仅以逾期本金为基数计算，对利息、服务费及罚息不计收复利。',
      '甲方逾期的，丙方可通过短信、电话或上门等方式提醒及催收。催收联系仅在每日08:00至21:00之间进行，不向甲方以外的任何第三人透露借款信息。',
      '甲方连续逾期超过90日，或提供虚假信息、擅自改变借款用途的，乙方有权（可委托丙方）宣布本协议项下全部借款提前到期，'
        + '甲方应立即归还全部剩余本金、已到期利息、服务费及罚息。',
    ]),
    '',
    '第六条 甲方的陈述与保证',
    ...numbered([
      '甲方为具有完全民事行为能力的自然人，向乙方、丙方提供的身份、联系方式、住址、收入等信息真实、准确、完整。',
      `甲方保证借款仅用于“${loan.purpose}”，不用于购房、股票、期货、理财等投资，不用于任何违法活动，不转借他人。`,
      '甲方手机号码、联系地址等信息变更的，应于变更之日起3日内至营业厅或通过丙方客服告知丙方。',
    ]),
    '',
    '第七条 丙方的权利与义务',
    ...numbered([
      '丙方按《信用咨询及管理服务协议》为甲方提供服务，如实披露借款信息，按约定管理还款并向乙方划付甲方的还款。',
      '丙方对甲方的个人信息及借款信息负有保密义务，仅在甲方授权的目的范围内使用，法律法规另有规定的除外。',
    ]),
    '',
    '第八条 通知与送达',
    '甲方确认上述手机号码及联系地址为本协议项下各类通知、文书（包括诉讼文书）的送达地址。丙方向上述手机号码发送的短信，发送成功即视为送达。',
    '',
    '第九条 争议解决',
    `因本协议发生的争议，各方应协商解决；协商不成的，任何一方均可向签约地（${ctx.store.county}）有管辖权的人民法院提起诉讼。`,
    '',
    '第十条 其他',
    ...numbered([
      '本协议自甲方以短信验证码确认签署之日起成立，自借款发放之日起生效，至本协议项下全部债务清偿之日终止。',
      `本协议与同日签署的《信用咨询及管理服务协议》《还款事项提醒函》《委托划扣协议书》《风险获知及承诺书》（合同编号均为${no}）共同构成完整的借款文件。`,
      '本协议以电子数据形式订立，丙方系统保存的本协议文本及其SHA-256摘要为本协议内容的依据；各方均可要求打印纸质文本，纸质文本与电子文本具有同等效力。',
    ]),
    '',
    '附件一：还款计划表',
    ...scheduleTable(ctx),
    '',
    '附件二：出借人名单',
    ...lenderList(ctx),
    '',
    '（以下为签署栏）',
    `甲方（借款人）签字：${borrower.name}`,
    otpConfirmationLine(),
    '乙方（出借人）：各出借人已通过丙方平台以电子方式确认出借',
    `丙方（居间服务方）：${ctx.platform.name}（电子签章）`,
    `签约地点：${signingPlace(ctx)}`,
    `签署日期：${chineseDate(ctx.signingDate)}`,
  ]);
}

export const LOAN_AGREEMENT: ContractTemplate<'loan_agreement'> = {
  kind: 'loan_agreement',
  title: '借款协议',
  version: '2026.1',
  render,
};
