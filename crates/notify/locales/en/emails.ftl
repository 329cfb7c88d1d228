# Customer emails, English. Variables come from redress-notify's EmailView.
subject = Your complaint { $reference }
greeting = Dear { $name },
signoff = Kind regards,
team = The { $organisation } complaints team
reference-line = Your reference is { $reference }. Please quote it whenever you contact us.
footer = You are receiving this email because you made a complaint to { $organisation }. You can reply to this email; your reply reaches the person handling your complaint.
footer-no-replies = You are receiving this email because you made a complaint to { $organisation }. Replies to this email are not read: to tell us something, use the link to your complaint's page.
status-link = You can follow your complaint at any time here: { $link }

receipt-body = Thank you for telling us about this. We have received your complaint and recorded it under the reference { $reference }.
receipt-next = A member of our team will be in touch shortly. You do not need to do anything else for now.

acknowledgement-intro = We are sorry about what happened. The person looking into your complaint wrote:
acknowledgement-next = We are now establishing the facts, and we will keep you informed at every step.

owner-body = { $owner } is now responsible for your complaint and will see it through to the end.
owner-changed = { $owner } has taken over your complaint from { $previous } and will see it through to the end.

commitment-intro = Here is what we will do:
commitment-due = We will have done this by { $due }.

progress-intro = Here is how things stand:
progress-next = You will hear from us again by { $next }, or sooner if there is news.

request-intro = To move forward, we need something from you:
request-how = Please reply to this email with it. Your complaint will wait for your answer.

outcome-intro = We have reached a decision on your complaint.
outcome-upheld = We have upheld your complaint: you were right.
outcome-partly_upheld = We have partly upheld your complaint: you were right in part.
outcome-not_upheld = We have not upheld your complaint.
outcome-reasons = Our reasons:
outcome-remedy = What we will do to put it right:
outcome-redress = We are paying you { $amount }.
outcome-escalate = If you are not satisfied with this outcome, you can refer your complaint to { $ombudsman }.

survey-body = Your complaint is now closed. We would value two minutes of your time: how well did we handle it, and if you ran our company, what would you change?
survey-reply = Answer in two clicks on your complaint's page (the link below), or simply reply to this email.

status_link-body = You asked for a fresh link to follow your complaint. Here it is; it stays valid for 90 days.

reply-files = Attached to this email:

points-intro = We have listened to what you told us. Here is what we understand your complaint to be about:
points-missed = If we have missed something, or got something wrong, please reply to this email and tell us.

outcome-points = Our decision on each point of your complaint:
point-upheld = Upheld
point-partly_upheld = Partly upheld
point-not_upheld = Not upheld

merged-body = You wrote to us about the same matter as your complaint { $survivor }, so we are handling { $reference } together with it: one person, one answer.
merged-next = You will hear from us under the reference { $survivor }. You do not need to do anything.
periodic-survey-subject = If you ran { $organisation }, what would you change?
periodic-survey-body = We ask our customers this question from time to time, whether or not anything went wrong, because most people who are unhappy never tell us.
periodic-survey-question = If you ran { $organisation } and wanted more customers and more business, what would you change?
periodic-survey-answer = Answer in two minutes
periodic-survey-team = The { $organisation } team
periodic-survey-footer = You are receiving this because you have been in touch with { $organisation }. No account is needed to answer.
periodic-survey-stop = Never ask me again:
