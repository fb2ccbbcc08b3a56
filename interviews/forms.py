from django import forms

from interviews.models import NOTE_MAX_CHARS, DecisionOutcome, Difficulty


class InterviewCreateForm(forms.Form):
    candidate_name = forms.CharField(max_length=200)
    candidate_email = forms.EmailField(required=False)
    role = forms.CharField(max_length=200)
    topic = forms.CharField(max_length=200, help_text="e.g. python, sql, system design")
    difficulty = forms.ChoiceField(choices=Difficulty.choices, initial=Difficulty.MEDIUM)
    language = forms.CharField(max_length=16, initial="en")
    question_count = forms.IntegerField(min_value=1, max_value=50, initial=5)
    time_limit_minutes = forms.IntegerField(
        min_value=1, max_value=600, required=False, help_text="Optional."
    )


class DecisionForm(forms.Form):
    """Shape only; the rules (permission, reason against the advice, storable text) are the
    service's (interviews/services/decisions.py), whose refusals come back as field errors."""

    outcome = forms.ChoiceField(choices=DecisionOutcome.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        max_length=NOTE_MAX_CHARS, strip=True, widget=forms.Textarea(attrs={"rows": 4})
    )
    reason = forms.CharField(
        max_length=NOTE_MAX_CHARS,
        required=False,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when the decision goes against the evaluation's advice.",
    )
