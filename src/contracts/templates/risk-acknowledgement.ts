/**
 * 《风险获知及承诺书》: the borrower's own statement, in the first person, that the risks of
 * borrowing were explained (repayment burden, penalty interest, what default leads to, the
 * platform and the carrier are not lenders, fraud warnings) and the borrower's promises
 * (true information, use of funds as stated, repayment, notice of changes). It also states
 * the collections rules the borrower can hold us to: contact only 08:00–21:00, never a
 * third party.
 */
import { chineseDate } from '../../core/chinese-amount.js';
import type { ContractContext } from '../contract-context.js';
import {
  contractNumber, documentText, loanTermsBlock, maskedId, moneyText, numbered, ratePercent, scheduleTable, scheduleTotals,
  signingFooter, signingPlace,
} from '../format.js';
import type { ContractTemplate } from './template.js';

/** The collections contact window, stated to the borrower. Matches DESIGN.md (Privacy and regulation). */
export const COLLECTIONS_CONTACT_HOURS = '08:00至21:00';

function render(ctx: ContractContext): string {
  const { loan, borrower } = ctx;
  const no = contractNumber(ctx);
  const totals = scheduleTotals(ctx);
  return documentText([
    '风险获知及承诺书',
    '',
    `合同编号：${no}`,
    `模板版本：${RISK_ACKNOWLEDGEMENT.version}`,
    '',
    `承诺人（借款人）：${borrower.name}`,
    `身份证号码：${maskedId(ctx)}（完整号码见编号为${no}的《借款协议》）`,
    '',
    `致：${ctx.platform.name}及《借款协议》项下各出借人`,
    '',
    `本人拟通过${ctx.platform.name}运营的网络借贷信息中介平台借款，并于${chineseDate(ctx.signingDate)}在${signingPlace(ctx)}`
      + `签署编号为${no}的《借款协议》等借款文件。本人借款的基本情况如下：`,
    ...loanTermsBlock(ctx),
    `应还款总额：${moneyText(totals.totalFen)}（本金、利息及服务费合计，不含可能发生的罚息）`,
    '各期应还款日及金额如下：',
    ...scheduleTable(ctx),
    '',
    '一、风险获知',
    '本人已认真阅读借款文件，工作人员已向本人充分说明，本人知悉并理解下列风险：',
    ...numbered([
      '借款须按期还本付息。本人已结合自身收入及家庭情况评估还款能力，确认能够按上述还款计划按期足额还款。',
      `未按期足额还款即构成逾期，自应还款日次日起按日计收罚息：每日罚息=逾期本金×罚息年利率（${ratePercent(loan.penaltyRatePpm)}）÷360。`,
      '逾期将影响本人在本平台及合作机构的信用评价；连续逾期超过90日的，出借人有权宣布全部借款提前到期，并可依法向人民法院起诉，'
        + '本人可能承担诉讼费用，并可能依法被列入失信被执行人名单。',
      `${ctx.platform.name}是网络借贷信息中介机构，不是出借人，不对借款本息提供担保；出借资金来自出借人，由资金存管银行存管。`,
      `${ctx.store.name}等电信运营商营业厅仅受托办理签约、放款交付及现金还款手续，不是出借人，不承担借款本息的清偿责任。`,
      '任何人以“包办贷款”“提高额度”“内部渠道”等名义收取费用的，均与本次借款无关，本人不应支付。',
    ]),
    '',
    '二、本人承诺',
    ...numbered([
      '本人向平台及营业厅提供的身份、联系方式、住址、收入、家庭等信息真实、准确、完整，不存在虚假记载或隐瞒。',
      `本次借款仅用于“${loan.purpose}”。本人不将借款用于购房、股票、期货、理财等投资，不用于赌博或其他违法活动，不将借款转借他人。`,
      '本人按还款计划按期足额还款；手机号码、联系地址等信息变更的，于变更之日起3日内告知平台。',
      '本次借款系本人真实意愿，由本人亲自办理并签署借款文件，不存在他人冒名、代签或受胁迫的情形。',
      '本人妥善保管身份证件、手机及短信验证码，因本人泄露短信验证码造成的损失由本人承担。',
      '除借款文件约定的利息、服务费及逾期罚息外，本人未向平台、营业厅工作人员或任何其他人支付任何费用；如有人索要，本人将向平台举报。',
    ]),
    '',
    '三、违约后果',
    '本人违反上述承诺或未按期还款的，自愿承担《借款协议》约定的罚息、借款提前到期等违约责任，并承担相应的法律后果。',
    '',
    '四、催收规则',
    ...numbered([
      `本人逾期后，平台可通过短信、电话或上门方式进行提醒与催收，联系时间仅限每日${COLLECTIONS_CONTACT_HOURS}。`,
      '平台不向本人以外的任何第三人（包括本人的亲友、同事）透露本人的借款信息，不以暴力、威胁、恐吓、侮辱等方式催收。',
      `本人如遇不当催收，可向${ctx.platform.name}或签约营业厅投诉。`,
    ]),
    '',
    '本人已认真阅读并完全理解上述内容，自愿作出以上承诺。',
    '',
    '（以下为签署栏）',
    ...signingFooter(ctx, '承诺人'),
  ]);
}

export const RISK_ACKNOWLEDGEMENT: ContractTemplate<'risk_acknowledgement'> = {
  kind: 'risk_acknowledgement',
  title: '风险获知及承诺书',
  version: '2026.1',
  render,
};
