# E-mailuri către clienți, română.
subject = Reclamația dumneavoastră { $reference }
greeting = Stimate/Stimată { $name },
signoff = Cu stimă,
team = Echipa de reclamații { $organisation }
reference-line = Numărul de referință este { $reference }. Vă rugăm să îl menționați de fiecare dată când ne contactați.
footer = Primiți acest e-mail pentru că ați trimis o reclamație către { $organisation }. Puteți răspunde la acest e-mail; răspunsul ajunge la persoana care se ocupă de reclamația dumneavoastră.
footer-no-replies = Primiți acest e-mail pentru că ați trimis o reclamație către { $organisation }. Răspunsurile la acest e-mail nu sunt citite: pentru a ne spune ceva, folosiți linkul către pagina reclamației dumneavoastră.
status-link = Puteți urmări oricând reclamația aici: { $link }

receipt-body = Vă mulțumim că ne-ați anunțat. Am primit reclamația și am înregistrat-o cu numărul de referință { $reference }.
receipt-next = Un coleg din echipa noastră vă va contacta în curând. Deocamdată nu trebuie să faceți nimic altceva.

acknowledgement-intro = Ne pare rău pentru cele întâmplate. Persoana care analizează reclamația vă transmite:
acknowledgement-next = Acum verificăm faptele și vă vom ține la curent la fiecare pas.

owner-body = { $owner } răspunde acum de reclamația dumneavoastră și se va ocupa de ea până la capăt.
owner-changed = { $owner } a preluat reclamația de la { $previous } și se va ocupa de ea până la capăt.

commitment-intro = Iată ce vom face:
commitment-due = Vom face acest lucru până la { $due }.

progress-intro = Iată stadiul actual:
progress-next = Veți primi vești de la noi până la { $next } sau mai devreme, dacă apar noutăți.

request-intro = Pentru a merge mai departe, avem nevoie de ceva de la dumneavoastră:
request-how = Vă rugăm să ne răspundeți la acest e-mail. Reclamația așteaptă răspunsul dumneavoastră.

outcome-intro = Am luat o decizie cu privire la reclamația dumneavoastră.
outcome-upheld = Am admis reclamația: aveați dreptate.
outcome-partly_upheld = Am admis parțial reclamația: aveați dreptate în parte.
outcome-not_upheld = Nu am admis reclamația.
outcome-reasons = Motivele noastre:
outcome-remedy = Ce vom face pentru a îndrepta situația:
outcome-redress = Vă vom plăti { $amount }.
outcome-escalate = Dacă nu sunteți mulțumit(ă) de această decizie, vă puteți adresa cu reclamația către { $ombudsman }.

survey-body = Reclamația dumneavoastră a fost închisă. Ne-ar ajuta două minute din timpul dumneavoastră: cât de bine am gestionat-o și, dacă ați conduce compania noastră, ce ați schimba?
survey-reply = Puteți răspunde în două clicuri pe pagina reclamației (linkul de mai jos) sau, pur și simplu, la acest e-mail.

status_link-body = Ne-ați cerut un link nou pentru a urmări reclamația. Îl găsiți mai jos; este valabil 90 de zile.

reply-files = Atașate la acest e-mail:

points-intro = Am ascultat ce ne-ați spus. Iată ce am înțeles că reclamați:
points-missed = Dacă am omis ceva sau am înțeles greșit, vă rugăm să ne răspundeți la acest e-mail.

outcome-points = Decizia noastră pentru fiecare punct al reclamației:
point-upheld = Admis
point-partly_upheld = Admis parțial
point-not_upheld = Respins

merged-body = Ne-ați scris despre aceeași problemă ca în reclamația { $survivor }, așa că tratăm { $reference } împreună cu aceasta: o singură persoană, un singur răspuns.
merged-next = Veți primi vești de la noi sub referința { $survivor }. Nu trebuie să faceți nimic.
periodic-survey-subject = Dacă ați conduce { $organisation }, ce ați schimba?
periodic-survey-body = Punem din când în când această întrebare clienților noștri, fie că ceva a mers prost sau nu, pentru că cei mai mulți dintre cei nemulțumiți nu ne spun niciodată.
periodic-survey-question = Dacă ați conduce { $organisation } și ați vrea mai mulți clienți și mai multe afaceri, ce ați schimba?
periodic-survey-answer = Răspundeți în două minute
periodic-survey-team = Echipa { $organisation }
periodic-survey-footer = Primiți acest mesaj pentru că ați fost în contact cu { $organisation }. Nu aveți nevoie de cont pentru a răspunde.
periodic-survey-stop = Nu mă mai întrebați niciodată:
