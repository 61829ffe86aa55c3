/**
 * 《还款事项提醒函》: a letter from the platform to the borrower listing every due date and
 * amount and saying, for each chosen channel, what the borrower must do to repay on time
 * (cash at the store counter; funds on the passbook; credit on the phone account).
 */
import { chineseDate } from '../../core/chinese-amount.js';
import type { RepaymentChannel } from '../../core/loan-accounting.js';
import type { ContractContext } from '../contract-context.js';
import {
  channelList, contractNumber, documentText, maskedId, maskedMobile, moneyText, numbered, otpConfirmationLine, ratePercent,
  REPAYMENT_CHANNEL_LABELS, REPAYMENT_METHOD_LABELS, scheduleTable, scheduleTotals, signingPlace, yuanFigures,
} from '../format.js';
import type { ContractTemplate } from './template.js';

function channelInstructions(ctx: ContractContext): string[] {
  const lastFour = ctx.passbook ? ctx.passbook.accountNumber.slice(-4) : '';
  const text: Record<RepaymentChannel, string> = {
    store_cash: `${REPAYMENT_CHANNEL_LABELS.store_cash}：请于每期应还款日（含当日）前，携带本人身份证原件到${signingPlace(ctx)}或其他合作营业厅，`
      + '在营业时间内于柜台以现金还款。请当面核对营业厅出具的还款凭证上的姓名、合同编号及金额，并妥善保管凭证。',
    passbook: `${REPAYMENT_CHANNEL_LABELS.passbook}：请于每期应还款日前一日，在${ctx.passbook?.bankName ?? ''}存折账户（账号尾号${lastFour}）中`
      + '存入不少于当期应还金额的资金。划扣不足或失败的，请及时到营业厅现金还款。',
    phone_credit: `${REPAYMENT_CHANNEL_LABELS.phone_credit}：预付费用户请于每期应还款日前充值，使话费余额不少于当期应还金额加保留余额`
      + `人民币${yuanFigures(ctx.prepaidReserveFen)}元；后付费用户的当期应还款项计入当月话费账单，请按时缴纳话费。`,
  };
  return ctx.channels.map((c, i) => `（${'一二三'[i]}）${text[c]}`);
}

function render(ctx: ContractContext): string {
  const { loan, borrower } = ctx;
  const no = contractNumber(ctx);
  const totals = scheduleTotals(ctx);
  return documentText([
    '还款事项提醒函',
    '',
    `合同编号：${no}`,
    `模板版本：${REPAYMENT_REMINDER.version}`,
    '',
    `尊敬的${borrower.name}（身份证号码：${maskedId(ctx)}，手机号码：${maskedMobile(ctx)}）：`,
    '',
    `您于${chineseDate(ctx.signingDate)}在${signingPlace(ctx)}签署编号为${no}的《借款协议》，借款产品为${loan.productName}，`
      + `借款本金${moneyText(loan.principalFen)}，年利率${ratePercent(loan.annualRatePpm)}，借款期限${loan.termMonths}个月，`
      + `还款方式为${REPAYMENT_METHOD_LABELS[loan.method]}。为帮助您按时还款、避免逾期，现将还款事项提醒如下：`,
    '',
    '一、还款计划',
    `您共需还款${ctx.schedule.length}期，应还款总额${moneyText(totals.totalFen)}，其中本金${yuanFigures(totals.principalFen)}元、`
      + `利息${yuanFigures(totals.interestFen)}元、服务费${yuanFigures(totals.feeFen)}元。各期应还款日及金额如下：`,
    ...scheduleTable(ctx),
    '如实际放款日与计划放款日不同，各期应还款日将按实际放款日顺延，金额不变，我们将以短信告知调整后的应还款日。',
    '',
    '二、还款方式',
    `您选择的还款渠道为：${channelList(ctx.channels)}。`,
    ...channelInstructions(ctx),
    '',
    '三、还款提醒',
    `我们将在每期应还款日前向您的手机号码（${maskedMobile(ctx)}）发送短信提醒。手机号码或联系地址变更的，请于3日内到营业厅办理变更。`,
    '',
    '四、逾期后果',
    ...numbered([
      `未按期足额还款即构成逾期，自应还款日次日起按日计收罚息：每日罚息=逾期本金×罚息年利率（${ratePercent(loan.penaltyRatePpm)}）÷360。`,
      '逾期将影响您在本平台及合作机构的信用评价；连续逾期超过90日的，出借人有权宣布全部借款提前到期并依法追索。',
      '逾期后我们将通过短信、电话等方式提醒与催收，联系时间仅限每日08:00至21:00，且不会向您以外的任何人透露借款信息。',
    ]),
    '',
    '五、安全提示',
    ...numbered([
      '请只通过上述还款渠道还款，不要把还款交给任何个人，也不要转入任何个人账户。',
      '平台及营业厅工作人员不会通过电话或短信索要您的短信验证码；除您本人在营业厅办理业务外，请勿向任何人透露验证码。',
    ]),
    '',
    '六、咨询与投诉',
    `如有疑问，请到${signingPlace(ctx)}咨询，或联系${ctx.platform.name}客服。`,
    '',
    `提醒人：${ctx.platform.name}`,
    `日期：${chineseDate(ctx.signingDate)}`,
    '',
    '（以下为签收栏）',
    `本人已收到并阅读本提醒函，知悉上述还款安排。签收人：${borrower.name}`,
    `签收地点：${signingPlace(ctx)}`,
    `签收日期：${chineseDate(ctx.signingDate)}`,
    otpConfirmationLine(),
  ]);
}

export const REPAYMENT_REMINDER: ContractTemplate<'repayment_reminder'> = {
  kind: 'repayment_reminder',
  title: '还款事项提醒函',
  version: '2026.1',
  render,
};
