# Autentificare unică (OpenID Connect) și chei de acces.
sso-sign-in-with = Autentificare cu { $name }
sso-refused-title = Autentificarea unică nu v-a conectat
sso-back = Înapoi la pagina de autentificare
sso-unreachable = Serviciul de autentificare nu poate fi contactat acum. Încercați din nou peste câteva minute sau anunțați un administrator.
sso-no-sign-in-started = Acest răspuns al serviciului de autentificare nu aparține unei autentificări începute în acest browser, sau a venit după zece minute. Reîncepeți de pe pagina de autentificare.
sso-wrong-state = Răspunsul serviciului de autentificare nu se potrivește cu autentificarea începută în acest browser, deci nu a fost folosit. Reîncepeți de pe pagina de autentificare.
sso-provider-refused = Serviciul de autentificare a refuzat: { $error }
sso-no-code = Răspunsul serviciului de autentificare nu conține niciun cod. Reîncepeți de pe pagina de autentificare.
sso-code-refused = Serviciul de autentificare nu a acceptat codul (poate a fost deja folosit). Reîncepeți de pe pagina de autentificare.
sso-token-refused = Identitatea trimisă de serviciul de autentificare nu a putut fi verificată, deci nu a fost folosită. Rugați un administrator să verifice setările.
sso-expired = Identitatea trimisă de serviciul de autentificare a expirat. Reîncepeți; dacă se repetă, verificați ceasul acestui calculator.
sso-wrong-nonce = Identitatea trimisă de serviciul de autentificare a fost emisă pentru altă autentificare, deci nu a fost folosită. Reîncepeți de pe pagina de autentificare.
sso-other-client = Identitatea trimisă de serviciul de autentificare a fost emisă pentru altă aplicație, deci nu a fost folosită.
sso-no-email = Serviciul de autentificare nu a spus ce adresă de e-mail aveți. Rugați un administrator să permită citirea ei (domeniul email).
sso-unverified = Serviciul de autentificare nu a verificat adresa { $email }. Verificați-o acolo mai întâi, apoi încercați din nou.
sso-no-account = Nu există un cont Redress pentru { $email }. Rugați un administrator să creeze unul.
sso-admin-only = Doar autentificare unică
sso-admin-make-only = Doar autentificare unică
sso-admin-allow-password = Permite parola
auth-break-glass = Autentificare de urgență cu parolă (doar administratori)
note-passwords-off = Aici parolele nu conectează: folosiți autentificarea unică sau o cheie de acces.
note-sso-only = Acest cont se conectează doar prin autentificare unică.
note-sso-only-set = Contul se conectează acum doar prin autentificare unică.
note-sso-only-lifted = Contul se poate conecta din nou cu parola.
note-passkey-added = Cheia de acces a fost adăugată. Vă puteți conecta cu ea în loc de parolă și cod.
note-passkey-gone = Această cheie de acces nu este în contul dumneavoastră (eliminată deja?).
note-passkey-removed = Cheia de acces a fost eliminată: nu mai conectează.
passkey-sign-in = Autentificare cu o cheie de acces
passkey-cancelled = Nu s-a folosit nicio cheie de acces (anulat, timp expirat sau niciuna pentru acest site pe acest dispozitiv).
passkey-failed = Cheia de acces nu a putut fi verificată. Încercați din nou sau conectați-vă cu parola.
passkey-heading = Chei de acces
passkey-intro = O cheie de acces vă conectează cu blocarea ecranului acestui dispozitiv sau cu o cheie de securitate, în loc de parolă și cod. Nu poate fi furată prin înșelăciune.
passkey-caption = Cheile dumneavoastră de acces
passkey-name = Nume
passkey-added = Adăugată
passkey-last-used = Ultima folosire
passkey-remove = Elimină
passkey-never = Niciodată
passkey-name-help = Ca s-o deosebiți de celelalte, de exemplu „Laptopul de serviciu”.
passkey-add = Adaugă o cheie de acces
passkey-unavailable = Cheile de acces au nevoie de Redress la un nume de domeniu cu HTTPS (sau la localhost); rugați un administrator să seteze REDRESS_PUBLIC_URL.
passkey-too-many = Aveți deja { $count } chei de acces: eliminați una mai întâi.
passkey-no-ceremony = Acest răspuns nu aparține unei cereri de pe această pagină, sau a venit după cinci minute. Încercați din nou.
passkey-bad-name = Dați cheii un nume de cel mult { $max } caractere.
passkey-unreadable = Răspunsul browserului nu a putut fi citit. Încercați din nou.
passkey-refused = Cheia de acces a fost refuzată. Încercați din nou sau conectați-vă altfel.
passkey-known = Această cheie de acces este deja înregistrată.
passkey-unknown = Această cheie de acces nu este înregistrată aici (sau a fost eliminată). Conectați-vă altfel, apoi adăugați-o pe pagina contului.
passkey-admin-remove = { $count ->
    [one] Elimină cheia de acces
    [few] Elimină { $count } chei de acces
   *[other] Elimină { $count } de chei de acces
}
note-passkeys-removed = Cheile de acces au fost eliminate: nu mai conectează.
