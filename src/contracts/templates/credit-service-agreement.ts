/**
 * 《信用咨询及管理服务协议》: borrower (甲方) and platform (乙方). What the platform does for
 * the borrower (credit consultation and assessment, matching, signing and payout through
 * the carrier store, repayment management, post-loan management) and the one-off service
 * fee, due with the first installment.
 */
import { chineseDate } from '../../core/chinese-amount.js';
import type { ContractContext } from '../contract-context.js';
import {
  borrowerBlockMasked, contractNumber, documentText, loanTermsBlock, moneyText, numbered, platformBlock, scheduleTable,
  signingFooter, signingPlace,
} from '../format.js';
import type { ContractTemplate } from './template.js';

function feeClauses(ctx: ContractContext): string[] {
  const fee = ctx.loan.serviceFeeFen;
  if (fee === 0) {
    return numbered([
      `乙方本次免收信用咨询及管理服务费，服务费金额为${moneyText(0)}。`,
      '除本协议明确约定外，乙方不以任何名目向甲方收取其他费用。',
    ]);
  }
  return numbered([
    `甲方应向乙方支付信用咨询及管理服务费${moneyText(fee)}。该服务费为本次借款全部服务期间的一次性费用，乙方不再另行收取任何其他名目的费用。`,
    `服务费于第一期应还款日（${chineseDate(ctx.schedule[0]!.dueDate)}）随第一期应还款项一并支付，已列入下列还款计划表第一期。`,
    '借款未能发放的，乙方不收取服务费。服务费未按期支付的，按《借款协议》约定的清偿顺序受偿，不计收罚息。',
  ]);
}

function render(ctx: ContractContext): string {
  const no = contractNumber(ctx);
  return documentText([
    '信用咨询及管理服务协议',
    '',
    `合同编号：${no}`,
    `模板版本：${CREDIT_SERVICE_AGREEMENT.version}`,
    '',
    ...borrowerBlockMasked(ctx, '甲方（借款人）'),
    '',
    ...platformBlock(ctx, '乙方（服务方）'),
    '',
    `签约地点：${signingPlace(ctx)}`,
    '',
    `甲方拟通过乙方运营的网络借贷信息中介平台借款，并与出借人、乙方签订编号为${no}的《借款协议》。`
      + '为此，甲方委托乙方提供信用咨询及借款管理服务。双方经协商一致，订立本协议。',
    '',
    '第一条 借款基本信息',
    ...loanTermsBlock(ctx),
    '',
    '第二条 服务内容',
    ...numbered([
      '信用咨询与评估：根据甲方提交的申请资料，以及经甲方授权、在授权目的范围内查询的电信运营商数据，对甲方进行信用评估，向甲方说明评估结果及适配的借款产品。',
      '借款信息发布与撮合：在乙方平台发布甲方的借款需求，撮合出借人出借，并向甲方披露出借人名单。',
      `签约与放款协助：委托${ctx.store.name}等合作营业厅为甲方办理身份核验、合同签署、放款交付等手续。`,
      '还款管理：编制并告知还款计划，在应还款日前发送短信还款提醒，受理营业厅现金还款，按甲方授权办理存折或话费划扣，并将还款划付给出借人。',
      '贷后管理：在借款期间进行贷后跟踪；甲方逾期的，进行提醒与催收，催收联系仅在每日08:00至21:00之间进行，不向甲方以外的第三人透露借款信息。',
      '咨询与投诉：通过合作营业厅及客服受理甲方关于借款、还款、费用的咨询与投诉。',
    ]),
    '',
    '第三条 服务费',
    ...feeClauses(ctx),
    '',
    '第四条 甲方的义务',
    ...numbered([
      '如实提供本人身份、联系方式、住址、收入等信息，并对其真实性负责。',
      '按《借款协议》及本协议按期足额还款并支付服务费。',
      '妥善保管本人身份证件、手机及短信验证码，不将短信验证码告知他人。',
    ]),
    '',
    '第五条 乙方的义务',
    ...numbered([
      '勤勉、审慎地提供本协议约定的服务，如实披露借款相关信息，不作虚假、误导性宣传。',
      '乙方是信息中介机构，不归集、不占用出借资金，不向甲方提供借款，不对借款本息提供担保。',
      '对甲方的个人信息及借款信息严格保密，仅在甲方授权的目的与范围内收集、使用，按最小必要原则处理；'
        + '未经甲方同意不向第三人提供，法律法规另有规定的除外。',
    ]),
    '',
    '第六条 协议期限',
    `本协议自甲方以短信验证码确认签署之日起成立，与编号为${no}的《借款协议》同时生效，至该协议项下全部债务清偿之日终止。`,
    '',
    '第七条 争议解决',
    `因本协议发生的争议，双方应协商解决；协商不成的，任何一方均可向签约地（${ctx.store.county}）有管辖权的人民法院提起诉讼。`,
    '',
    '附件：还款计划表（含服务费）',
    ...scheduleTable(ctx),
    '',
    '（以下为签署栏）',
    ...signingFooter(ctx, '甲方（借款人）'),
    `乙方（服务方）：${ctx.platform.name}（电子签章）`,
  ]);
}

export const CREDIT_SERVICE_AGREEMENT: ContractTemplate<'credit_service_agreement'> = {
  kind: 'credit_service_agreement',
  title: '信用咨询及管理服务协议',
  version: '2026.1',
  render,
};
