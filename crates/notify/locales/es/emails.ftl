# Correos a los clientes, español.
subject = Su reclamación { $reference }
greeting = Estimado/a { $name }:
signoff = Atentamente,
team = El equipo de reclamaciones de { $organisation }
reference-line = Su número de referencia es { $reference }. Indíquelo siempre que se ponga en contacto con nosotros.
footer = Recibe este correo porque presentó una reclamación a { $organisation }. Puede responder a este mensaje; su respuesta llegará a la persona que gestiona su reclamación.
footer-no-replies = Recibe este correo porque presentó una reclamación a { $organisation }. Las respuestas a este mensaje no se leen: para decirnos algo, use el enlace a la página de su reclamación.
status-link = Puede consultar el estado de su reclamación en cualquier momento aquí: { $link }

receipt-body = Gracias por comunicárnoslo. Hemos recibido su reclamación y la hemos registrado con la referencia { $reference }.
receipt-next = Una persona de nuestro equipo se pondrá en contacto con usted en breve. Por ahora no necesita hacer nada más.

acknowledgement-intro = Lamentamos lo ocurrido. La persona que revisa su reclamación le escribe:
acknowledgement-next = Ahora estamos comprobando los hechos y le mantendremos informado/a en cada paso.

owner-body = { $owner } es ahora responsable de su reclamación y se ocupará de ella hasta el final.
owner-changed = { $owner } ha asumido su reclamación en lugar de { $previous } y se ocupará de ella hasta el final.

commitment-intro = Esto es lo que vamos a hacer:
commitment-due = Lo habremos hecho, a más tardar, el { $due }.

progress-intro = Así están las cosas:
progress-next = Volverá a tener noticias nuestras, a más tardar, el { $next }, o antes si hay novedades.

request-intro = Para poder avanzar, necesitamos algo de usted:
request-how = Por favor, responda a este correo con ello. Su reclamación quedará a la espera de su respuesta.

outcome-intro = Hemos tomado una decisión sobre su reclamación.
outcome-upheld = Hemos estimado su reclamación: tenía usted razón.
outcome-partly_upheld = Hemos estimado su reclamación en parte: tenía usted razón en parte.
outcome-not_upheld = No hemos estimado su reclamación.
outcome-reasons = Nuestros motivos:
outcome-remedy = Lo que haremos para remediarlo:
outcome-redress = Le abonaremos { $amount }.
outcome-escalate = Si no está conforme con esta decisión, puede presentar su reclamación ante { $ombudsman }.

survey-body = Su reclamación está cerrada. Le agradeceríamos dos minutos de su tiempo: ¿cómo la hemos gestionado y, si usted dirigiera nuestra empresa, qué cambiaría?
survey-reply = Puede responder en dos clics en la página de su reclamación (el enlace de abajo) o, simplemente, contestar a este correo.

status_link-body = Nos ha pedido un enlace nuevo para seguir su reclamación. Aquí lo tiene; es válido durante 90 días.

reply-files = Adjuntos a este correo:

points-intro = Hemos escuchado lo que nos contó. Esto es lo que entendemos que motiva su reclamación:
points-missed = Si hemos omitido algo o entendido algo mal, responda a este correo y díganoslo.

outcome-points = Nuestra decisión sobre cada punto de su reclamación:
point-upheld = Estimado
point-partly_upheld = Estimado en parte
point-not_upheld = No estimado

merged-body = Nos escribió sobre el mismo asunto que su reclamación { $survivor }, así que tratamos { $reference } junto con ella: una persona, una respuesta.
merged-next = Le responderemos con la referencia { $survivor }. No necesita hacer nada.
periodic-survey-subject = Si usted dirigiera { $organisation }, ¿qué cambiaría?
periodic-survey-body = De vez en cuando hacemos esta pregunta a nuestros clientes, haya ido algo mal o no, porque la mayoría de quienes no están contentos nunca nos lo dicen.
periodic-survey-question = Si usted dirigiera { $organisation } y quisiera más clientes y más negocio, ¿qué cambiaría?
periodic-survey-answer = Responder en dos minutos
periodic-survey-team = El equipo de { $organisation }
periodic-survey-footer = Recibe este mensaje porque ha estado en contacto con { $organisation }. No necesita ninguna cuenta para responder.
periodic-survey-stop = No volver a preguntarme nunca:
