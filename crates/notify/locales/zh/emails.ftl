# 发给客户的邮件，简体中文。
subject = 您的投诉 { $reference }
greeting = 尊敬的{ $name }：
signoff = 此致
team = { $organisation } 投诉处理团队
reference-line = 您的投诉编号是 { $reference }。今后联系我们时，请提供此编号。
footer = 您收到这封邮件，是因为您向 { $organisation } 提交了投诉。您可以直接回复本邮件，回复会送达负责处理您投诉的同事。
footer-no-replies = 您收到这封邮件，是因为您向 { $organisation } 提交了投诉。本邮件的回复无人查看：如需告诉我们任何事情，请使用您投诉页面的链接。
status-link = 您可以随时在这里查看投诉进展：{ $link }

receipt-body = 感谢您告诉我们这件事。我们已收到您的投诉，登记编号为 { $reference }。
receipt-next = 我们的团队成员会尽快与您联系。目前您无需再做任何事情。

acknowledgement-intro = 对于发生的事情，我们深表歉意。负责调查您投诉的同事写道：
acknowledgement-next = 我们正在核实事实，每一步进展都会及时告知您。

owner-body = 现在由{ $owner }负责处理您的投诉，并将跟进到底。
owner-changed = { $owner }已从{ $previous }手中接手您的投诉，并将跟进到底。

commitment-intro = 我们将采取以下措施：
commitment-due = 我们将在 { $due } 之前完成。

progress-intro = 目前的进展如下：
progress-next = 我们最迟会在 { $next } 再次与您联系；如有新消息，会更早通知您。

request-intro = 为了继续处理，我们需要您提供以下信息：
request-how = 请直接回复本邮件。在收到您的答复之前，您的投诉将暂时等待。

outcome-intro = 我们已就您的投诉作出决定。
outcome-upheld = 我们认为您的投诉成立。
outcome-partly_upheld = 我们认为您的投诉部分成立。
outcome-not_upheld = 我们认为您的投诉不成立。
outcome-reasons = 理由如下：
outcome-remedy = 我们将采取以下补救措施：
outcome-redress = 我们将向您支付 { $amount }。
outcome-escalate = 如果您对这一结果不满意，可以将投诉提交给{ $ombudsman }。

survey-body = 您的投诉已经结案。希望您能抽出两分钟告诉我们：我们处理得怎么样？如果由您来经营我们公司，您会改变什么？
survey-reply = 您可以在投诉页面（见下方链接）上快速作答，也可以直接回复本邮件。

status_link-body = 您申请了一个新的链接来查看投诉进展。链接如下，有效期为 90 天。

reply-files = 本邮件附件：

points-intro = 我们认真听取了您的意见。以下是我们对您投诉内容的理解：
points-missed = 如果我们有所遗漏或理解有误，请直接回复本邮件告诉我们。

outcome-points = 我们对您投诉中每一点的决定：
point-upheld = 成立
point-partly_upheld = 部分成立
point-not_upheld = 不成立

merged-body = 您来信所述事项与您的投诉 { $survivor } 相同，因此我们将 { $reference } 与其合并处理：由同一人负责，给出同一答复。
merged-next = 我们将以编号 { $survivor } 与您联系。您无需做任何事情。
periodic-survey-subject = 如果由您来经营 { $organisation }，您会改变什么？
periodic-survey-body = 无论是否出过问题，我们都会不时向客户提出这个问题，因为大多数不满意的人从不告诉我们。
periodic-survey-question = 如果由您来经营 { $organisation }，并希望获得更多客户和更多业务，您会改变什么？
periodic-survey-answer = 用两分钟回答
periodic-survey-team = { $organisation } 团队
periodic-survey-footer = 您收到此邮件是因为您曾与 { $organisation } 联系。回答无需账户。
periodic-survey-stop = 不要再问我：
