"""Generated transcripts with planted personal data, for the flagging tests and ``bench/privacy.py``.

``make_corpus(seed, held_out=False)`` builds episodes of timed words (``transcripts.Word``) from seeded random
templates. Each episode is written either as Whisper writes it (sentence case, punctuation) or fully lower-cased
(no sentence punctuation), and mixes sentences that plant one item of a kind (a name, a place, a workplace, a
phone number or e-mail address written or spoken, a date of birth, an age, an NHS number) with distractor
sentences that must not be flagged: the episode's known hosts and guests, public helplines, therapy vocabulary and
ordinary numbers.

Two template sets exist: the tuning set (``held_out=False``) and a held-out set (``held_out=True``) with other
names, places and phrasings, written before any tuning and never used to tune the rules.

>>> c = make_corpus(1, per_kind=2)
>>> sorted({p.kind for p in c.planted}) == sorted(KINDS)
True
>>> all(c.episodes[p.episode].words[p.first].text for p in c.planted)
True
"""
from __future__ import annotations

import collections
import random
from dataclasses import dataclass, field

from transcripts import Word

__all__ = ["KINDS", "Planted", "Episode", "Corpus", "make_corpus", "evaluate", "spoken_digits", "nhs_number"]

KINDS = ("person", "place", "workplace", "phone", "email", "date_of_birth", "age", "nhs_number")

_DIGIT = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_ONES = _DIGIT[1:] + ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
                      "eighteen", "nineteen"]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]
_ORD = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh",
        "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth",
        "twentieth", "twenty first", "twenty second", "twenty third", "twenty fourth", "twenty fifth",
        "twenty sixth", "twenty seventh", "twenty eighth"]


@dataclass
class Planted:
    """One planted item: episode index, first and last word index (inclusive), kind and text."""

    episode: int
    first: int
    last: int
    kind: str
    text: str


@dataclass
class Episode:
    words: list[Word]
    lower: bool
    known_people: tuple[str, ...]
    allow: tuple[str, ...] = ()


@dataclass
class Corpus:
    episodes: list[Episode] = field(default_factory=list)
    planted: list[Planted] = field(default_factory=list)

    @property
    def n_words(self) -> int:
        return sum(len(e.words) for e in self.episodes)


def _num_words(n: int) -> str:
    """Spell 0..99 as spoken (``_num_words(42)`` is ``"forty two"``)."""
    if n < 20:
        return ["zero", *_ONES][n]
    t, o = divmod(n, 10)
    return _TENS[t - 2] + ("" if o == 0 else " " + _DIGIT[o])


def _year_words(y: int) -> str:
    """Spell a year as spoken: 1984 -> nineteen eighty four, 2007 -> two thousand and seven."""
    if 2000 <= y < 2010:
        return "two thousand" + ("" if y == 2000 else " and " + _DIGIT[y - 2000])
    hi, lo = divmod(y, 100)
    return _num_words(hi) + " " + ("hundred" if lo == 0 else ("oh " + _DIGIT[lo] if lo < 10 else _num_words(lo)))


def spoken_digits(digits: str, rng: random.Random) -> str:
    """Read a digit string aloud the way people do: "oh" or "zero" for 0, sometimes "double"/"triple".

    >>> spoken_digits("07700", random.Random(3)).split()[0] in ("oh", "zero", "nought")
    True
    """
    out, i = [], 0
    zero = rng.choice(["oh", "oh", "zero", "nought"])
    while i < len(digits):
        d = digits[i]
        run = 1
        while i + run < len(digits) and digits[i + run] == d and run < 3:
            run += 1
        word = zero if d == "0" else _DIGIT[int(d)]
        if run == 3 and rng.random() < 0.6:
            out.append("triple " + word)
            i += 3
        elif run >= 2 and rng.random() < 0.6:
            out.append("double " + word)
            i += 2
        else:
            out.append(word)
            i += 1
    return " ".join(out)


def nhs_number(rng: random.Random) -> str:
    """A random 10-digit number that passes the NHS mod-11 check.

    >>> n = nhs_number(random.Random(0)); len(n) == 10 and n.isdigit()
    True
    """
    while True:
        nine = [rng.randrange(10) for _ in range(9)]
        check = 11 - sum(d * w for d, w in zip(nine, range(10, 1, -1))) % 11
        if check == 11:
            check = 0
        if check != 10:
            return "".join(map(str, nine)) + str(check)


# ---------------------------------------------------------------- template sets
_TUNE = dict(
    first=["Sarah", "James", "Priya", "Olivia", "Mohammed", "Chloe", "Daniel", "Aisha", "Liam", "Hannah", "Tariq",
           "Megan", "Connor", "Zara", "Gareth", "Siobhan", "Kwame", "Emily", "Niamh", "Ravi"],
    last=["Thompson", "Patel", "Okafor", "Williams", "Khan", "Murphy", "Davies", "Nowak", "Clarke", "Hughes",
          "Robinson", "Begum", "Fletcher", "O'Brien", "Mensah", "Walsh"],
    towns=["Leeds", "Harrogate", "Bristol", "Stockport", "Swansea", "Croydon", "Norwich", "Dundee", "Wigan",
           "Bolton", "Exeter", "Chelmsford"],
    streets=["Mill Lane", "Victoria Road", "Church Street", "Albert Avenue", "Station Road", "Park Crescent"],
    work=["St Mary's Hospital", "Oakfield Primary School", "the Riverside Surgery", "Tesco on the high street",
          "Barclays", "Greenway Academy", "Leeds General Infirmary", "the Co-op in town", "Brookside Medical Centre",
          "Sainsbury's", "Northgate High School", "Amazon"],
    domains=[("gmail", "com"), ("hotmail", "co.uk"), ("outlook", "com"), ("yahoo", "co.uk")],
    hosts=("Amira Haddad", "Tom", "Ann Lewis"),
    person=["I had a client called {X} who struggled with that.", "My colleague {X} said the same thing.",
            "{X} told me last week that she felt stuck.", "We were working with {X} at the time.",
            "A young man, {X}, came to me after the accident.", "I rang {X} afterwards to check in."],
    place=["She lives in {X} with her mum.", "He moved to {X} last year.", "They grew up near {X}.",
           "The family were living at {X} then."],
    workplace=["She works at {X} as a receptionist.", "He's a nurse at {X}.", "Her son goes to {X}.",
               "He was referred by {X} in the end."],
    phone=["You can reach her on {X}.", "His number is {X}, if anyone needs it.", "She said ring me on {X}."],
    email=["Email me at {X}.", "Her email is {X} I think.", "Send it to {X} and I'll pass it on."],
    dob=["She was born on {X}.", "His date of birth is {X}.", "The form said DOB {X}."],
    age=["She's {X} and still at home.", "He was a {X} year old lad.", "She was aged {X} at the time.",
         "He's only {X}, you know."],
    nhs=["His NHS number is {X}.", "I wrote her NHS number down, {X}, on the form."],
)

_HELD = dict(
    first=["Rebecca", "Marcus", "Fatima", "Owen", "Leah", "Imran", "Bethany", "Callum", "Yasmin", "Rhys", "Deborah",
           "Nikhil", "Ffion", "Joseph", "Maryam", "Kieran"],
    last=["Sutherland", "Ahmed", "Kowalski", "Jenkins", "Adeyemi", "Pritchard", "Shah", "McAllister", "Harrison",
          "Doyle", "Chowdhury", "Bennett"],
    towns=["Sheffield", "Kettering", "Cardiff", "Huddersfield", "Bath", "Ipswich", "Preston", "Aberdeen",
           "Lancaster", "Reading"],
    streets=["Queen Street", "Elm Grove", "Hawthorn Close", "Windsor Terrace", "Market Place"],
    work=["Royal Victoria Infirmary", "Westfield Junior School", "the Elms Practice", "Asda on the ring road",
          "Lloyds Bank", "Hillcrest College", "St John's Hospice", "the job centre in Preston", "Boots", "Greggs"],
    domains=[("icloud", "com"), ("btinternet", "com"), ("protonmail", "com"), ("live", "co.uk")],
    hosts=("Grace Obi", "Sam", "Ann Lewis"),
    person=["There was a lad, {X}, in my group.", "Honestly {X} was the hardest case I had.",
            "I supervised {X} for two years.", "Her partner {X} kept phoning the service."],
    place=["He drove down from {X} every week.", "Her flat is on {X}.", "She's from {X} originally."],
    workplace=["He's a teacher at {X}.", "She got a job at {X} in the spring.", "They met at {X}."],
    phone=["Her mobile's {X}, she said.", "Call him on {X} if it's urgent.", "The number was {X}."],
    email=["Drop her a line at {X}.", "It's {X} for the booking."],
    dob=["Her birthday, date of birth, is {X}.", "He was born {X}."],
    age=["My client is {X} years old.", "When she was {X} her dad left.", "A lad aged {X} came in."],
    nhs=["NHS number {X} is on the letter.", "Can you check the NHS number, it's {X}."],
)

_DISTRACT = [
    "{H1} and I have been talking about this for a while.", "Thanks {H2}, that's a great point.",
    "{H3} runs the peer group on Thursdays.", "If you need support, call the Samaritans on 116 123.",
    "In an emergency call 999, or NHS 111 if it's not urgent.", "We use CBT and EMDR in the service.",
    "I trained in DBT and ACT, and a bit of IFS.", "My approach is person-centred, really.",
    "The session lasts about fifty minutes.", "We had about 50 people at the conference in 2019.",
    "After three sessions she felt a lot better.", "I see twenty clients a week.",
    "Supervision happens every two weeks on a Monday.", "It took me ten years to qualify.",
    "We started at 9 and finished at half past four.", "Chapter four of the book covers shame.",
    "So welcome back to the podcast, everyone.", "I think boundaries matter more than technique.",
    "Twenty minutes in, the client started to cry.", "We spent maybe two or three hours on the paperwork.",
    "The waiting list is about six months now.", "In May we ran a workshop on grief.",
    "{H1}, what do you make of that?", "Trauma-informed practice is about safety first.",
]


def _phone(rng: random.Random, spoken: bool) -> str:
    kind = rng.randrange(3)
    if kind == 0:
        digits = "07" + "".join(str(rng.randrange(10)) for _ in range(9))
        written = f"{digits[:5]} {digits[5:]}"
    elif kind == 1:
        digits = "020" + "".join(str(rng.randrange(10)) for _ in range(8))
        written = f"+44 20 {digits[3:7]} {digits[7:]}" if rng.random() < 0.5 else f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    else:
        digits = "01" + "".join(str(rng.randrange(10)) for _ in range(9))
        written = f"{digits[:5]} {digits[5:]}"
    return spoken_digits(digits, rng) if spoken else written


def _email(t: dict, rng: random.Random, spoken: bool) -> str:
    first, last = rng.choice(t["first"]).lower(), rng.choice(t["last"]).lower().replace("'", "")
    sep = rng.choice([".", "_", ""])
    user = f"{first}{sep}{last}" + (str(rng.randrange(10, 99)) if rng.random() < 0.3 else "")
    dom, tld = rng.choice(t["domains"])
    if not spoken:
        return f"{user}@{dom}.{tld}"
    said = user.replace(".", " dot ").replace("_", " underscore ")
    said = " ".join(_num_words(int(p)) if p.isdigit() else p for p in said.replace("1", " 1").split())
    return f"{said} at {dom} dot {tld.replace('.', ' dot ')}"


def _dob(rng: random.Random) -> str:
    day, month, year = rng.randrange(1, 29), rng.randrange(12), rng.randrange(1950, 2015)
    form = rng.randrange(5)
    if form == 0:
        suffix = "th" if 10 < day < 14 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
        return f"the {day}{suffix} of {_MONTHS[month]} {year}"
    if form == 1:
        return f"the {_ORD[day - 1]} of {_MONTHS[month]} {_year_words(year)}"
    if form == 2:
        return f"{_ORD[day - 1]} of {_MONTHS[month]} {_year_words(year)}"
    if form == 3:
        return f"{day:02d}/{month + 1:02d}/{year}"
    return f"{_MONTHS[month]} {day}, {year}"


def _item(kind: str, t: dict, rng: random.Random) -> str:
    if kind == "person":
        r = rng.random()
        first, last = rng.choice(t["first"]), rng.choice(t["last"])
        return first if r < 0.3 else (f"Mrs {last}" if r < 0.4 else f"{first} {last}")
    if kind == "place":
        if rng.random() < 0.3:
            return f"{rng.randrange(2, 120)} {rng.choice(t['streets'])}"
        return rng.choice(t["towns"] + t["streets"])
    if kind == "workplace":
        return rng.choice(t["work"])
    if kind == "phone":
        return _phone(rng, spoken=rng.random() < 0.5)
    if kind == "email":
        return _email(t, rng, spoken=rng.random() < 0.5)
    if kind == "date_of_birth":
        return _dob(rng)
    if kind == "age":
        n = rng.randrange(4, 90)
        return str(n) if rng.random() < 0.5 else _num_words(n)
    n = nhs_number(rng)
    if rng.random() < 0.5:
        return f"{n[:3]} {n[3:6]} {n[6:]}"
    return spoken_digits(n, rng)


_TEMPLATE_KEY = {"person": "person", "place": "place", "workplace": "workplace", "phone": "phone",
                 "email": "email", "date_of_birth": "dob", "age": "age", "nhs_number": "nhs"}


def _sentence(template: str, item: str | None, lower: bool):
    """Tokens of one sentence, and the token range of the item (or None)."""
    before, _, after = template.partition("{X}")
    pre, mid, post = before.split(), (item.split() if item is not None else []), after.split()
    # punctuation directly after {X} ("{X}," / "{X}.") sticks to the item's last word
    if post and post[0][0] in ",.?" and mid:
        mid[-1] += post[0]
        post = post[1:]
    elif after[:1] in ",.?" and mid:
        mid[-1] += after[0]
        post = after[1:].split()
    tokens = pre + mid + post
    span = (len(pre), len(pre) + len(mid) - 1) if mid else None
    if lower:
        tokens = [w.lower() for w in tokens]
        if tokens and tokens[-1][-1] in ".?":
            tokens[-1] = tokens[-1][:-1]
    elif tokens:
        tokens[0] = tokens[0][0].upper() + tokens[0][1:]
    return tokens, span


def make_corpus(seed: int = 0, held_out: bool = False, per_kind: int = 48, episodes: int = 12,
                distractors_per_episode: int = 30) -> Corpus:
    """Episodes with ``per_kind`` planted items of every kind spread over them, plus distractor sentences.

    Half the episodes are fully lower-cased. Words are timed 0.35 s apart.
    """
    rng = random.Random(seed)
    t = _HELD if held_out else _TUNE
    jobs = [k for k in KINDS for _ in range(per_kind)]
    rng.shuffle(jobs)
    corpus = Corpus()
    hosts = {"H1": t["hosts"][0], "H2": t["hosts"][1], "H3": t["hosts"][2]}
    for e in range(episodes):
        lower = e % 2 == 1
        mine = jobs[e::episodes]
        sentences: list[tuple[str, str | None, str | None]] = [(rng.choice(t[_TEMPLATE_KEY[k]]), k, None) for k in mine]
        sentences += [(rng.choice(_DISTRACT), None, None) for _ in range(distractors_per_episode)]
        rng.shuffle(sentences)
        words: list[Word] = []
        for template, kind, _ in sentences:
            template = template.format(X="{X}", **hosts)
            item = _item(kind, t, rng) if kind else None
            tokens, span = _sentence(template, item, lower)
            base = len(words)
            for tok in tokens:
                at = 0.35 * len(words)
                words.append(Word(tok, round(at, 2), round(at + 0.3, 2)))
            if kind and span:
                corpus.planted.append(Planted(e, base + span[0], base + span[1], kind,
                                              " ".join(tokens[span[0]:span[1] + 1])))
        corpus.episodes.append(Episode(words, lower, tuple(t["hosts"]), ("Samaritans",)))
    return corpus


_FUNCTION = {"the", "on", "in", "at", "of", "a", "and", "is"}


def evaluate(corpus: Corpus, lower: bool | None = None) -> dict:
    """Flag every episode; count planted items found (an overlapping flag of the right kind, and the flags cover
    every planted word but function words) and false flags (flags overlapping no planted item). ``lower``: only
    the lower-cased (True) or Whisper-cased (False) episodes."""
    from transcripts.privacy import find_personal_data

    use = [lower is None or e.lower == lower for e in corpus.episodes]
    flags = [find_personal_data(e.words, e.known_people, e.allow) if u else [] for e, u in zip(corpus.episodes, use)]
    found = collections.Counter()
    planted = collections.Counter(p.kind for p in corpus.planted if use[p.episode])
    misses, false = [], []
    for p in corpus.planted:
        if not use[p.episode]:
            continue
        fs = flags[p.episode]
        over = [f for f in fs if f.first <= p.last and f.last >= p.first]
        words = corpus.episodes[p.episode].words
        needed = [i for i in range(p.first, p.last + 1)
                  if words[i].text.lower().strip(".,?") not in _FUNCTION]
        covered = all(any(f.first <= i <= f.last for f in over) for i in needed)
        if covered and any(f.kind == p.kind for f in over):
            found[p.kind] += 1
        else:
            misses.append((p, [(f.kind, f.text) for f in over]))
    for e, fs in enumerate(flags):
        spans = [(p.first, p.last) for p in corpus.planted if p.episode == e]
        for f in fs:
            if not any(f.first <= b and f.last >= a for a, b in spans):
                false.append(f)
    words = sum(len(e.words) for e, u in zip(corpus.episodes, use) if u)
    return dict(found=found, planted=planted, misses=misses, false=false, words=words)
