"""Whether a sentence is aimed at whoever assesses the answer, judged by the kinds of words it is
made of rather than by set phrases.

A candidate answering a question talks about the subject. A sentence aimed at the evaluator has
to do at least one of three things the subject never needs: address the assessor (a vocative,
"you" as the one who assesses, "your assessment", a role handed to the reader), direct the
assessment (a request about marking, grading or hiring), or claim a verdict about this very
answer or candidate. Each is recognised by the classes below, in English and in the other
languages candidates write in (German, Portuguese, Italian, Spanish, French); each class alone is
common in honest answers ("you should", "the score", "this answer is short"), so a sentence is
flagged only for a combination, and never when it tells a story about a mark someone once gave.

The text arrives already `normalise`d (casefolded, disguises undone).
"""

import re

from interviews.prose import sentences


def _words(*alternatives: str) -> str:
    return r"\b(?:" + "|".join(alternatives) + r")\b"


# Who assesses, named: the role in each language ...
_ROLE = (
    r"(?:evaluator|grader|assessor|examiner|marker|scorer|checker|screener)s?|"
    r"hiring (?:manager|committee|team|panel)|interview panel|"
    r"(?:scoring|grading|marking|evaluation|evaluating|assessment|assessing|reviewing|hiring|"
    r"automated) (?:model|ai|llm|bot|system|engine|tool|process|review|pipeline|checker)|"
    r"beoordelaar\w*|"
    r"bewerter\w*|prüfer\w*|gutachter\w*|korrektor\w*|avaliador\w*|examinador\w*|corretor\w*|"
    r"valutator\w*|esaminator\w*|correttor\w*|selezionator\w*|evaluador\w*|corrector\w*|"
    r"évaluateur\w*|évaluatrice\w*|correcteur\w*|examinateur\w*|recruteur\w*"
)
# ... and the machine a candidate guesses reads it, or a person whose title candidates also use
# about their work ("the reviewer asked", "tuned for the LLM"): these count only when addressed.
_ASSESSOR = (
    _ROLE
    + r"|(?:reviewer|judge|recruiter)s?|ai|llm|gpt|chat ?gpt|claude|bot|"
    + (r"language model|assistant")
)
# The act of assessing and what it produces, including the hiring outcome.
_ASSESS = re.compile(
    r"\ba\+(?!\w)|"
    + _words(
        r"assess\w*",
        r"evaluat\w*",
        r"grad(?:e|es|ed|er|ers|ing)",
        r"scor(?:e|es|ed|er|ers|ing)",
        r"mark(?:s|ed|ing)?",
        r"rat(?:e|es|ed|ing|ings)(?! ?limit)",
        r"judg\w*",
        r"examin\w*",
        r"review(?:er|ers|ing)?",
        r"write-? ?ups?",
        r"verdict",
        r"points?",
        r"credit",
        r"deduct\w*",
        r"penali[sz]\w*",
        r"hir(?:e|ed|ing)",
        r"offer",
        r"next round",
        r"recommend\w*",
        r"rubrics?",
        r"criteria",
        r"straight a'?s",
        r"full marks",
        r"ten out of ten",
        r"pass(?:ed)?",
        r"summar(?:y|i[sz]\w*)",
        r"bewert\w*",
        r"benot\w*",
        r"beurteil\w*",
        r"punktzahl\w*",
        r"punkte?n?",
        r"einstell\w*",
        r"einzustellen",
        r"empfehl\w*",
        r"empfiehl\w*",
        r"empfohlen",
        r"avalia\w*",
        r"avalie\w*",
        r"notas?",
        r"pontua\w*",
        r"contrat\w*",
        r"recomend\w*",
        r"aprova\w*",
        r"valut\w*",
        r"vot[oi]",
        r"punteggi\w*",
        r"punti",
        r"assun\w*",
        r"assumere",
        r"raccomand\w*",
        r"promoss\w*",
        r"evalu\w*",
        r"puntuaci\w*",
        r"calific\w*",
        r"évalu\w*",
        r"not(?:er|ez)",
        r"embauch\w*",
        r"recommand\w*",
        r"beoordeel\w*",
        r"beoordeling\w*",
        r"cijfers?",
    )
)
# What would be assessed: this answer, this interview, the candidate, the speaker.
_TARGET = re.compile(
    r"\b(?:this|my|the (?:above|preceding|following|present)|the answer|the response)"
    r" (?:\w+ )?(?:answers?|responses?|reply|replies|submission|solution|transcript|"
    r"interview|message|text|work)\b|\b(?:this|the) candidate\b|\b(?:me|myself)\b|"
    r"\b(?:answer|question) \d+\b|"
    r"\b(?:diese|meine) (?:antwort|lösung)\b|\b(?:dieser|den|der) kandidat\w*|"
    r"\b(?:esta|minha) resposta\b|\b(?:este|o) candidato\b|\b(?:questa|la mia) risposta\b|"
    r"\b(?:questo|il) candidato\b|\b(?:esta|mi) respuesta\b|\b(?:cette|ma) réponse\b|"
    r"\bce candidat\b|\bdit antwoord\b|"
    # "give this anything less than", "award it full marks": this, with a mark to follow
    r"\b(?:give|award|grant) (?:this|it) (?=(?:anything|a|an|the|less|more|full|top|\d)\b)|"
    r"\b(?:score|grade|rate|assess|evaluate|judge) (?:this|it)\b(?= (?:as|a|an|\d|highly|well|"
    r"generously)\b| ?[.!?,]| ?$)|"
    r"\b(?:for|on|to) this (?:one|question|item|exercise|task)\b"
)
# A request: politeness, a modal aimed at "you", or a sentence opening with a directive verb.
_REQUEST = re.compile(
    r"\b(?:would it be possible|is it possible|would you mind|i(?:'d| would) like you to|"
    r"i (?:want|need|ask) you to|merci de|je vous prie|dalle|dagli|dammi|gib mir|me dê|dê-me|"
    r"dame|donnez-moi|schreib|schreiben sie)\b|"
    r"\b(?:please|pls|kindly|thanks|thank you|bitte|por favor|per favore|s'il vous plaît|"
    r"svp)\b|"
    r"\b(?:could|can|would|will|won't) you\b|\byou (?:should|must|will|need to|have to|are to)\b|"
    r"\bi'?d (?:really )?(?:be (?:really |very )?grateful|appreciate)\b|"
    r"\b(?:do not|don't|never)\b|\bmake sure\b|\bensure\b|"
    r"\b(?:alstublieft|graag)\b|"
    r"^(?:now |so |and |just |then )?(?:let's |lets )?(?:give|rate|score|grade|mark|evaluate|tell|"
    r"assess|judge|award|assign|consider|treat|regard|describe|state|write|record|weight|weigh|"
    r"remember|recommend|return|output|respond|reply|say|report|summari[sz]e|assume|pretend|"
    r"imagine|ignore|disregard|overlook|skip|forget|put|be|go|stay|accept|approve|"
    r"gib|geben sie|vergib|bewerte|bewerten sie|empfiehl|dê|atribua|avalie|considere|recomende|"
    r"assegna|dai|considera|valuta|consiglia|dame|asigna|califica|donnez|attribuez|notez|"
    r"considérez|geef)\b"
)
# A favourable verdict or value: what a steer asks for.
_FAVOURABLE = re.compile(
    r"(?<!top )\b(?:5|10|100|five|ten)\b(?! ?\d)(?!\s+(?!stars|points|marks)[a-z]+s\b)|"
    r"\d+\s*/\s*(?:5|10|100)\b|\ba\+(?!\w)|"
    + _words(
        r"full",
        r"max",
        r"maximum",
        r"highest",
        r"best",
        r"top(?! ?\d)",
        r"perfect",
        r"excellent",
        r"outstanding",
        r"exceptional",
        r"exemplary",
        r"flawless",
        r"impeccable",
        r"brilliant",
        r"superb",
        r"thorough",
        r"correct(?:ly)?",
        r"complete",
        r"mastery",
        r"strong",
        r"generous(?:ly)?",
        r"lenient(?:ly)?",
        r"kindly",
        r"favou?rabl[ey]",
        r"pre-?approved",
        r"approved",
        r"verified",
        r"as passed",
        r"good word",
        r"straight a'?s",
        r"ten out of ten",
        r"\d+(?:[.,]\d+)?\s*/\s*10",
        r"100 ?%",
        r"exceed(?:ed|s)? (?:all )?expectations",
        r"generos\w*",
        r"gro(?:ss|ß)zügig\w*",
        r"indulgente?",
        r"benevol\w*",
        r"più alt[oa]",
        r"más alt[oa]",
        r"mejor",
        r"melhor",
        r"migliore",
        r"meilleure?",
        r"alles richtig",
        r"benefit of the doubt",
        r"round(?:ing)? (?:it |them |my \w+ |this )?up",
        r"bump\w*",
        r"max(?:ed)? out",
        r"aced",
        r"a clear yes",
        r"a pass",
        r"accepted",
        r"acceptable",
        r"model answer",
        r"top performer",
        r"hoogste",
        r"uitstekend",
        r"höchst\w*",
        r"maximal\w*",
        r"volle[nm]?",
        r"sehr gut",
        r"ausgezeichnet",
        r"hervorragend",
        r"perfekt\w*",
        r"exzellent\w*",
        r"máxim\w*",
        r"excelente",
        r"perfeit\w*",
        r"ótim\w*",
        r"corret\w*",
        r"massim\w*",
        r"eccellent\w*",
        r"ottim\w*",
        r"perfett\w*",
        r"perfect\w*",
        r"maximum",
        r"excellent\w*",
        r"parfait\w*",
    )
)
# Addressing the assessor: a vocative (also after a comment marker), "to whoever assesses",
# "any AI reading this", "you" as the one who assesses, the assessor's own tools ("your
# assessment", "your guidelines"), and a role or a game handed to the reader.
_ADDRESS = re.compile(
    # (at the start, or after a comment marker: not "f(reviewer: User)" in code)
    r"(?:^|(?:#|//|--|/\*|<!--|>|\*+)\s*)(?:(?:the|dear|caro|cara|liebe[r]?|señora?|"
    r"prezado|querido|estimado|cher|chère) )?(?:" + _ASSESSOR + r")\s*[,:!]|"
    r"\b(?:whoever|whatever|anyone|anybody|any (?:ai|model|llm|one|person|system|tool))\b"
    r"[^.!?]{0,30}?"
    r"\b(?:reads?|reading|assess(?:es|ing)?|evaluat(?:es|ing)|grad(?:es|ing)|scor(?:es|ing)|"
    r"mark(?:s|ing)|review(?:s|ing)|judg(?:es|ing)|examin(?:es|ing)|tall(?:y|ies|ying)|"
    r"check(?:s|ing)?|decid(?:es|ing))\b|"
    r"\bthe (?:person|one|system) (?:who |that )?(?:is |are )?(?:reads?|reading|assess\w*|"
    r"evaluat\w*|grad\w*|scor\w*|mark\w*|review\w*|judg\w*|examin\w*|check\w*|decid\w*)"
    r"\b|"
    # someone or something doing the assessing, of this: "the algorithm deciding on my
    # application", "should an automated tool be scoring this"
    r"\b(?:" + _ASSESSOR + r"|tool|system|program|software|algorithm|machine|script|process|"
    r"person|one|someone|somebody)\b (?:is |be |are )?(?:\w+ )?(?:scoring|grading|assessing|"
    r"evaluating|marking|reviewing|reading|checking|judging|deciding on|summari[sz]ing|"
    r"screening|ranking) (?:this|these|me|my|the (?:answer|response|transcript|interview|"
    r"candidate)|transcripts)\b(?! (?!answers?|responses?|reply|submission|solution|"
    r"application|interview|transcript)[a-z]{3,})|"
    # a message to be passed on: "tell the hiring team", "let the evaluator know"
    r"\b(?:tell|inform|remind|show|convince|assure) (?:the |my |your |any )?(?:"
    + _ASSESSOR
    + r")\b|"
    + r"\blet (?:the |my |your |any )?(?:"
    + _ASSESSOR
    + r") know\b|"
    r"\b(?:to|for) (?:the |any |all )?(?:" + _ROLE + r")\b|"
    r"\byou(?:'re| are| will| would| could| can| should| must| might|'ll|'d)?\s+"
    r"(?:\w+\s+){0,2}?(?:assess|evaluat|grad|scor|mark|rat(?!e ?limit)|judg|review|summari|"
    r"examin|writ\w* (?:up|the evaluation|the report|your report))\w*|"
    r"\byour (?:\w+ ){0,2}?(?:assessment|evaluation|report|write-? ?up|review|grading|scoring|"
    r"marking|verdict|feedback|summary|guidelines|instructions|rubric|criteria|prompt|task|"
    r"scorecard|notes|decision|standards|bar|threshold|expectations)\b|"
    r"\b(?:votre (?:rapport|évaluation|avis)|ihr(?:e|em)? (?:bericht|bewertung)|"
    r"(?:seu|no seu) (?:relatório|parecer)|sua avaliação|(?:il tuo|nel tuo) (?:rapporto|giudizio)|"
    r"la tua valutazione|(?:tu|su) (?:informe|evaluación))\b|"
    r"\b(?:just )?between (?:us|you and me|ourselves)\b|\boff the record\b|"
    r"\b(?:pretend|imagine|suppose|roleplay|role-play|role play|let's play|act as|play the role)"
    r"\b[^.!?]{0,60}?\b(?:you(?:'re| are| were)|your role|you play|you act)\b|"
    r"\byou(?:'re| are)(?: now)? (?:a |an |the |my )(?:\w+ ){0,3}?(?:" + _ASSESSOR + r")\b"
)
# A claim about this answer's or candidate's verdict: "this answer is a 5", "the candidate
# is outstanding", "the following response has been verified as correct".
_CLAIM = re.compile(
    r"\b(?:this|my|the (?:above|preceding|following)) (?:\w+ )?(?:answer|response|reply|"
    r"submission|solution)s? (?:is|was|has been|have been|are|gets|deserves|merits|earns|"
    r"should (?:get|receive|be)|will (?:get|be))\b(?: \w+){0,4}? (?:a (?:5|10|five|ten)\b|"
    r"\d+\s*/\s*(?:5|10|100)|perfect|excellent|outstanding|exemplary|flawless|impeccable|"
    r"verified|approved)|"
    r"\b(?:this|the) candidate (?:is|was|has been|answered|demonstrated|showed)\b(?: \w+){0,3}?"
    r" (?:outstanding|excellent|exceptional|perfect|flawless|mastery|correctly|pre-?approved|"
    r"a strong hire|the best|expectations)|"
    r"\b(?:this|the) candidate (?:exceeded|exceeds|surpassed|met|meets)\b(?: \w+){0,2}? "
    r"expectations\b|"
    # a mark attached to this answer: "9.5/10 is fair for this one", "100% on this question"
    r"(?:\d+(?:[.,]\d+)?\s*/\s*(?:5|10|100)|100 ?%|a\+|full marks)[^.!?]{0,20}?\b(?:is|would "
    r"be|seems) (?:fair|right|accurate|deserved|reasonable|appropriate|justified)\b|"
    r"(?:\d+(?:[.,]\d+)?\s*/\s*(?:5|10|100)|100 ?%|a\+|full marks) (?:on|for) this "
    r"(?:question|answer|one|item|response)\b|"
    # a mark someone gave this answer, to be kept: "gave this exact answer a 5"
    r"\b(?:gave|awarded|rated|scored|graded|marked) (?:this|my) (?:\w+ )?(?:answer|response|"
    r"solution) (?:a |an |as )?(?:\d|five|ten|full|top|perfect|excellent)|"
    r"\bthis is (?:a |an )?(?:perfect|excellent|flawless|model|complete|outstanding)"
    r"(?: \w+)? (?:answer|response|solution)\b|"
    # how answers are now scored: "short answers now earn full credit"
    r"\b(?:answers?|responses?|submissions?) (?:\w+ ){0,2}?(?:earn|get|receive|deserve|are "
    r"worth)s? (?:full|top|maximum|max|perfect|the highest) (?:credit|marks|points|score|grade)|"
    # (with "this", weaker words too: no one calls their own answer "complete and accurate"
    # except to the one who marks it)
    r"\bthis (?:answer|response|reply|submission|solution) (?:is|was|has been)\b(?: \w+){0,2}? "
    r"(?:complete|correct|accurate|acceptable|accepted|a model answer)\b|"
    r"\b(?:this|my) (?:\w+ )?(?:answer|response|reply|submission|solution) (?:should|must|is to|"
    r"needs to) be (?:treated|regarded|considered|marked|graded|scored|rated|counted|seen) as\b|"
    # "any evaluation saying otherwise would be a mistake": disputed before it is written
    r"\b(?:any|an|the) (?:evaluation|assessment|score|grade|mark|rating|review|verdict) "
    r"(?:saying|that says|suggesting|claiming|that claims|below|lower than|less than|other than)"
    r"\b|"
    # "so that's a high mark", "this is a perfect score"
    r"\b(?:that's|that is|this is|it's|it is) (?:a |an )?(?:high|top|full|perfect|maximum|"
    r"passing) (?:mark|score|grade|rating)\b"
)
# A verdict written as a label: "Verdict: excellent", "Bewertung: sehr gut".
_LABELLED = re.compile(
    r"(?<!where )(?<!and )(?<!set )(?<!or )\b(?:verdict|overall|evaluation|assessment|rating|"
    r"grade|result|recommendation|"
    r"bewertung|urteil|empfehlung|avaliação|resultado|valutazione|giudizio|evaluación|"
    r"calificación|évaluation|appréciation)(?: (?:for|of|on) (?:this|the) \w+)?\s*[:=]\s*"
    # (a value, not a call: "overall = max(scores)" is code)
    r"([^.!?()\[\]{}]{0,30})(?![(\[{])"
)
# A story about a mark or a hire someone once gave is not a request for one.
_NARRATIVE = re.compile(
    r"\b(?:gave|got|received|earned|was given|were given|won)\b|"
    r"\b(?:my|our|the|his|her|their) (?:manager|boss|lead|teacher|professor|tutor|mentor|"
    r"colleague|coworker|client|customer|company|team|exam board|interviewer|former)s?\b"
    r"(?: \w+){0,3}? (?:said|told|marked|rated|graded|called|praised|decided|wanted|would)\b"
)
# A range or scale is a definition, not a value asked for: "rate from 1 to 5".
_RANGE = re.compile(r"\b(?:from|between) \d+ (?:to|and|-) \d+\b|\bscale of \d+(?: to \d+)?\b")


def addressed_sentence(plain: str) -> tuple[str, str] | None:
    """(what it does, the sentence) for the first sentence of `plain` aimed at the evaluator."""
    for sentence in sentences(plain):
        said = sentence.text
        if _NARRATIVE.search(said) and not _REQUEST.search(said):
            continue
        if what := _aimed(_RANGE.sub(" ", said)):
            return what, said
    return None


# A sentence that is nothing but a verdict: "Hire.", "👍 hire 👍", "Strong pass!"
_BARE_VERDICT = re.compile(
    r"^\W*(?:strong |clear )?(?:hire|hired|pass|passed|approve|approved|advance|accept|accepted)"
    r"\W*$"
)


def _aimed(said: str) -> str:
    if _BARE_VERDICT.match(said):
        return "claims a verdict for this answer"
    if _CLAIM.search(said) or any(_FAVOURABLE.search(m.group(1)) for m in _LABELLED.finditer(said)):
        return "claims a verdict for this answer"
    assess = bool(_ASSESS.search(said))
    steer = bool(_REQUEST.search(said) or _FAVOURABLE.search(said))
    if _ADDRESS.search(said) and (steer or assess or _TARGET.search(said)):
        return "addresses the evaluator"
    # A grading word alone is the subject's vocabulary ("score each document, keep the best");
    # asked for, favourably, about this answer, it is a request for a mark.
    favourable = bool(_FAVOURABLE.search(said))
    request = bool(_REQUEST.search(said))
    target = bool(_TARGET.search(said))
    accordingly = "accordingly" in said.split()
    if assess and ((favourable and (target or request)) or (request and (target or accordingly))):
        return "asks for or claims a score"
    return ""
