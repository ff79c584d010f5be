"""Incoming customer emails for the intake figure (RFC 5322, as a mail server hands
them to Odoo's mail gateway).

``make_batch`` writes ``count`` messages to one address: most from known
customers (their email is on a contact), some from strangers, a share of them
replies to an earlier message of the same batch (``In-Reply-To`` and
``References`` set, subject ``Re: ...``), so that the gateway both creates
records and routes answers to existing ones.  Plain text and HTML parts, like a
normal mail client.  The same batch works for any model with a mail alias:
kunde_crm's team alias and helpdesk_mgmt's team alias.
"""

import random
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

SUBJECTS = [
    "Spørsmål om faktura {n}",
    "Feil beløp på faktura {n}",
    "Pakken har ikke kommet (ordre {n})",
    "Varen kom i stykker",
    "Får ikke logget inn på Min side",
    "Ønsker å si opp avtalen",
    "Endre leveringsadresse for ordre {n}",
    "Purring på betalt faktura {n}",
    "Spørsmål om garanti",
    "Trenger tilgang for ny ansatt",
]
BODIES = [
    "Hei,\n\nJeg har et spørsmål om faktura {n}. Beløpet stemmer ikke med "
    "avtalen vår. Kan dere se på det?\n\nMvh\n{name}",
    "Hei!\n\nPakken skulle vært her i forrige uke, men sporingen har ikke endret "
    "seg siden mandag. Ordrenummer {n}.\n\nHilsen {name}",
    "God dag,\n\nVi får feilmelding når vi logger inn. Skjermbilde kan ettersendes."
    "\n\nMed vennlig hilsen\n{name}",
    "Hei,\n\nVi ønsker å avslutte avtalen fra neste måned. Hva er "
    "oppsigelsestiden?\n\n{name}",
]
REPLIES = [
    "Takk for svar! Det gjelder fortsatt faktura {n}.\n\n{name}",
    "Hei igjen, her er mer informasjon: ordrenummer {n}.\n\nMvh {name}",
    "Det fungerer nå, takk for hjelpen.\n\n{name}",
]
STRANGER_DOMAINS = ["gmail.example.com", "online.example.no", "epost.example.org"]


def make_batch(rng, count, to_address, customers, tag, reply_share=0.1):
    """``count`` raw messages to ``to_address``.

    customers: list of (name, email); tag: unique per batch (Message-Ids).
    """
    sent = []  # (message_id, subject, name, email)
    messages = []
    start = datetime.now(UTC) - timedelta(hours=1)
    for index in range(count):
        number = rng.randint(100000, 999999)
        reply_to = rng.choice(sent) if sent and rng.random() < reply_share else None
        if reply_to:
            _parent_id, subject, name, email = reply_to
            subject = f"Re: {subject}"
            text = rng.choice(REPLIES).format(n=number, name=name)
        else:
            if rng.random() < 0.85 and customers:
                name, email = rng.choice(customers)
            else:
                first = rng.choice(["Ola", "Kari", "Per", "Lise", "Nils", "Eva"])
                name = f"{first} Nordmann"
                email = f"{first.lower()}.{number}@{rng.choice(STRANGER_DOMAINS)}"
            subject = rng.choice(SUBJECTS).format(n=number)
            text = rng.choice(BODIES).format(n=number, name=name)
        message_id = f"<bench-{tag}-{index}@mail.example.no>"
        message = EmailMessage()
        message["From"] = formataddr((name, email))
        message["To"] = to_address
        message["Subject"] = subject
        message["Date"] = format_datetime(start + timedelta(seconds=3 * index))
        message["Message-ID"] = message_id
        if reply_to:
            message["In-Reply-To"] = reply_to[0]
            message["References"] = reply_to[0]
        message.set_content(text)
        paragraphs = "".join(f"<p>{p}</p>" for p in text.split("\n\n"))
        message.add_alternative(f"<html><body>{paragraphs}</body></html>", "html")
        messages.append(message.as_string())
        if not reply_to:
            sent.append((message_id, subject, name, email))
    return messages


def sample_customers(rng, partners, size=2000):
    """partners: [{'name':..., 'email':...}] -> up to ``size`` (name, email)."""
    with_email = [(p["name"], p["email"]) for p in partners if p.get("email")]
    rng.shuffle(with_email)
    return with_email[:size]


if __name__ == "__main__":  # print one message, to look at
    print(
        make_batch(random.Random(1), 1, "kundeservice@bench.example.com", [], "demo")[0]
    )
