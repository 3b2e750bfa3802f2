"""Spoken personal data as the pipeline's transcriber writes it: sentences read by espeak-ng in several voices and
transcribed by the bundled Whisper tiny.en, kept as literal strings so that the flagger's tests on them run fast.

Whisper writes digits read out one by one in odd ways (``077 -0 -0 -0 -9``, ``0, 7, 7, 0``, ``1 -07 -70 -0900``),
e-mail addresses with the dots as words of their own (``Sarah Jones at Hotmail .com``, ``emmer .wilser .gmail
.com``) and mishears the words around them. The real-audio test is ``tests/transcripts/test_privacy_whisper.py``.

>>> sum(1 for w in WHISPER_SAID if w.kind is None) >= 3
True
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["WhisperSaid", "WHISPER_SAID"]


@dataclass(frozen=True)
class WhisperSaid:
    """A sentence read by espeak-ng and transcribed by the pipeline's engine (bundled Whisper tiny.en), as written.

    ``kind`` is what was planted (None: a distractor, nothing may be flagged); ``expect`` the words of ``heard``
    that must be flagged with that kind; ``miss`` why the flagger misses it (a strict expected failure)."""

    voice: str
    said: str
    heard: str
    kind: str | None
    expect: str = ""
    miss: str = ""


_W = WhisperSaid
WHISPER_SAID = [
    _W("en-gb", "call her back on zero seven seven zero zero, nine zero zero, one two three",
       "call the mark on 077 -0 -0 -0 -9 -0 -0 -1 -2 -3 and I took it", "phone", "077 -0 -0 -0 -9 -0 -0 -1 -2 -3"),
    _W("en-gb", "call her back on zero seven seven zero zero, nine zero zero, one two three",
       "Please call the mark on 077 -0 -0 -0 -1 -2 -3 before Friday.", "phone", "077 -0 -0 -0 -1 -2 -3"),
    _W("en-us", "call her back on zero seven seven zero zero, nine zero zero, one two three",
       "Please call for back on 077 -0 -0 -0 -1 -2 -3 before Friday.", "phone", "077 -0 -0 -0 -1 -2 -3"),
    _W("en-us+f3", "call her back on zero seven seven zero zero, nine zero zero, one two three",
       "Please call for Mack on zero seven seven zero zero nine zero zero one two three before Friday", "phone",
       "zero seven seven zero zero nine zero zero one two three"),
    _W("en-gb", "oh seven seven oh oh, nine oh oh, one two three",
       "The number is 0, 7, 7, 0, 9, 0, 1, 2, 3, and I talk it to supervision.", "phone", "0, 7, 7, 0, 9, 0, 1, 2, 3,"),
    _W("en-gb", "Her mobile number is oh seven seven oh oh, nine oh oh, one two three.",
       "The mobile number is 0, 7, 7, 0, 9, 0, 1, 2, 3.", "phone", "0, 7, 7, 0, 9, 0, 1, 2, 3."),
    _W("en-us+f3", "Her mobile number is oh seven seven oh oh, nine oh oh, one two three.",
       "The mobile number is all 7 -7 -0, 9 -0 -0, 1 -2 -3.", "phone", "7 -7 -0, 9 -0 -0, 1 -2 -3."),
    _W("en-us", "Her mobile number is oh seven seven oh oh, nine oh oh, one two three.",
       "The mobile number is 07700. I don't know. 1, 2, 3.", "phone", "07700.",
       "Whisper ends a sentence after 07700 and loses 'nine oh oh': five digits are left"),
    _W("lead", "ring her on 07700 900123",
       "She asked me to ring for 1 0 7 7 0 0 9 100 120 3 before Friday.", "phone", "1 0 7 7 0 0 9 100 120 3"),
    _W("lead", "ring her on 07700 900123",
       "ring her on zero seven, seven zero zero nine hundred, one hundred and twenty three before Friday.", "phone",
       "zero seven, seven zero zero nine hundred, one hundred and twenty three"),
    _W("en-gb", "Ring her on 07700 900123 before Friday.", "Ring for 1 -07 -70 -0900, 10100 and 23 before Friday.",
       "phone", "1 -07 -70 -0900, 10100 and 23"),
    _W("en-us+f3", "Ring her on 07700 900123 before Friday.",
       "Ring for one zero seven seven zero zero nine hundred thousand one hundred twenty three before Friday",
       "phone", "one zero seven seven zero zero nine hundred thousand one hundred twenty three"),
    _W("en-gb", "You can reach him on oh one one three, four nine six, oh double oh oh.",
       "You can reach him on 0113 496.", "phone", "0113 496."),
    _W("en-gb", "The office number is oh two oh, seven nine four six, oh nine five eight.",
       "The office number is 0 -2 -0, 7 -9 -4 -6, 0 -9 -5 -8", "phone", "0 -2 -0, 7 -9 -4 -6, 0 -9 -5 -8"),
    _W("en-us", "The office number is oh two oh, seven nine four six, oh nine five eight.",
       "The office number is low to 07946, 0958.", "phone", "07946, 0958."),
    _W("en-us+f3", "The office number is oh two oh, seven nine four six, oh nine five eight.",
       "mid office number below 12 7 9 4 6 4 9 5 8", "phone", "12 7 9 4 6 4 9 5 8"),
    _W("en-us", "Call him on plus four four, seven seven zero zero, nine zero zero, one two three.",
       "Call him on plus 4 4 7 7 0 0 9 0 0 1 2 3", "phone", "plus 4 4 7 7 0 0 9 0 0 1 2 3"),
    _W("en-us", "Text me on oh seven nine double one, two three four, five six seven.",
       "Text me on 07901, 234, 567.", "phone", "07901, 234, 567."),
    _W("en-us+f3", "My number is zero seven nine four six, double one, two three four five six.",
       "My number is zero seven nine four six, number one two three four five six.", "phone",
       "zero seven nine four six, number one two three four five six.",
       "Whisper writes 'double one' as 'number one', which splits the run into 5 and 6 digits"),
    _W("en-gb", "His NHS number is nine four three, four seven six, five nine one nine.",
       "In the NHS number is 943, 476, 591 9.", "nhs_number", "943, 476, 591 9."),
    _W("en-us", "His NHS number is nine four three, four seven six, five nine one nine.",
       "This NHS number is 943 476 591 9", "nhs_number", "943 476 591 9"),
    _W("en-us+f3", "His NHS number is nine four three, four seven six, five nine one nine.",
       "This NHS number is 943 476 51919", "nhs_number", "943 476 51919"),
    _W("en-us", "Email me at jane dot doe at gmail dot com.", "email me at jane .com.", "email", "jane .com."),
    _W("en-gb", "Email me at jane dot doe at gmail dot com.", "email me at gain .go. email .com", "email",
       "gain .go. email .com"),
    _W("lead", "jane dot doe at gmail dot com", "write to jane.doe at gmail.com please", "email",
       "jane.doe at gmail.com"),
    _W("lead", "jane dot doe at gmail dot com", "Write to Jane Doe at Gmail dot com please.", "email",
       "Jane Doe at Gmail dot com"),
    _W("lead", "jane dot doe at gmail dot com", "email jane dot doe@gmail.com for it", "email",
       "jane dot doe@gmail.com"),
    _W("en-gb", "Her email is sarah jones at hotmail dot com.", "The remake is Sarah Jones at Hotmail .com.", "email",
       "Sarah Jones at Hotmail .com."),
    _W("en-us+f3", "Her email is sarah jones at hotmail dot com.", "Three -mail is Sarah Jones at heartmail .com",
       "email", "Sarah Jones at heartmail .com"),
    _W("en-gb", "Her email is tom underscore baker at outlook dot co dot uk.",
       "The remake is Tom and the Stormaker at Outlook .co .uk.", "email", "Stormaker at Outlook .co .uk."),
    _W("en-gb", "Drop her an email at emma dot wilson at gmail dot com.",
       "Drop her an email at emmer .wilser .gmail .com", "email", "emmer .wilser .gmail .com"),
    _W("en-us+f3", "Drop her an email at emma dot wilson at gmail dot com.",
       "Drop for an email at mn .wealsonat email .com", "email", "mn .wealsonat email .com"),
    _W("en-us", "Drop her an email at emma dot wilson at gmail dot com.",
       "Drop for an email at madotwillsonatgmail .com", "email", "madotwillsonatgmail .com"),
    _W("en-us", "My email is mike at yahoo dot com.", "My email is mikeatyaboo .com", "email", "mikeatyaboo .com"),
    _W("en-us", "Send it to mark dot smith at gmail dot com.", "Send it to mark .miss .email .com", "email",
       "mark .miss .email .com"),
    _W("en-us", "You can email Peter at Gmail dot com.", "you can email feeder at email .com.", "email",
       "feeder at email .com."),
    _W("en-gb", "Contact jane dot doe at n h s dot net for the letter.", "contact jane .co .net for the letter.",
       "email", "jane .co .net"),
    _W("en-us+f3", "Email me, it's david dot brown at outlook dot com.",
       "He may meet his name, it's not brown and outlook .com.", "email", "brown and outlook .com.",
       "'Email me' became 'He may meet' and 'at' became 'and': nothing says it is an address"),
    _W("en-us+f3", "She was born on the third of May nineteen eighty four.", "She was born on the third of May 1984.",
       "date_of_birth", "third of May 1984."),
    _W("en-us", "She was born on the third of May nineteen eighty four.",
       "She was born on the third and made 1980 for her.", "date_of_birth", "the third and made 1980"),
    _W("en-gb", "He was born on the twelfth of March nineteen ninety.", "He was born on the 12th of March 1990.",
       "date_of_birth", "12th of March 1990."),
    _W("en-gb", "Her date of birth is the fourth of July two thousand and three.",
       "The net on birth is the fourth on July 2003.", "date_of_birth", "fourth on July 2003."),
    _W("en-us+f3", "Her date of birth is the fourth of July two thousand and three.",
       "3800 is the fourth of July 2003.", "date_of_birth", "fourth of July 2003.",
       "'Her date of birth' became '3800': a date with nothing saying it is a birthday"),
    _W("en-us+f3", "My client was born in nineteen seventy six, on the second of June.",
       "My client was born in 1976 on the second of June.", "date_of_birth", "1976"),
    _W("en-gb", "He was born on 3/5/84, I think.", "He was born on 3 -5 -8 -4, I think.", "date_of_birth",
       "3 -5 -8 -4,"),
    _W("en-us", "We counted one, two, three. The session lasts twenty minutes. Call the Samaritans on one one six, "
       "one two three, or nine nine nine. About fifty people came in twenty nineteen.",
       "We counted one, two, three. The session last 20 minutes. Call the Samaritan on one, one, six, one, two, "
       "three, or nine, nine. About 50 people came in 20, 19.", None),
    _W("en-gb", "After three sessions she felt better. We started in twenty nineteen, with about fifty people, for "
       "twenty minutes each.", "After three sessions she felt better. We started in 2019 with about 50 people for "
       "20 minutes each.", None),
    _W("en-us+f3", "If you need support, ring one one one, or the Samaritans on one one six one two three. In an "
       "emergency call nine nine nine.", "If you need support, ring one one one or the Samaritan on one one six one "
       "two three in emergency call nine nine nine.", None),
    _W("mixed", "We counted one, two, three, and then four, five, six. The session lasts twenty minutes, and about "
       "fifty people came in twenty nineteen. If you need support, ring one one one, or the Samaritans on one one "
       "six, one two three. In an emergency, call nine nine nine. We ran three sessions in May, and she's one of "
       "the best.", "We counted one, two, three, and then four, five, six. The session last 20 minutes and about "
       "50 people came in 29. If you need support, ring one, one, one, or the Samaritan on one, one, six, one, two, "
       "three. In emergency call 999. We run three sessions in May and she's one of the best.", None),
]
"""What the pipeline's transcriber wrote for spoken personal data and for distractors (espeak-ng voices; "lead":
measured by the lead), for fast tests and ``bench/privacy.py``. The real-audio test is
``tests/transcripts/test_privacy_whisper.py``."""
