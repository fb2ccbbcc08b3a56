from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from interviews.models import NOTE_MAX_CHARS, DecisionOutcome, Position
from interviews.services.positions import bank_topic_choices, position_topics_clean


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


class PositionForm(forms.ModelForm):
    """Topics are the bank's, ticked, plus any free text; the time limit is typed in minutes."""

    bank_topics = forms.MultipleChoiceField(
        label="Topics from the question bank",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    other_topics = forms.CharField(
        label="Other topics",
        required=False,
        max_length=200,
        help_text=(
            "Free text, comma-separated. The offline interviewer has no questions for these: "
            "it maps each onto the nearest bank topic or asks general questions (you will be "
            "told which when you save). An LLM interviewer uses the text as written."
        ),
    )
    time_limit_minutes = forms.IntegerField(
        label="Time limit (minutes)",
        min_value=1,
        max_value=600,
        required=False,
        help_text="Empty = no limit.",
    )

    class Meta:
        model = Position
        fields = (
            "title",
            "description",
            "difficulty",
            "language",
            "question_count",
            "coding_count",
            "coding_language",
        )
        labels = {
            "question_count": "Number of questions",
            "coding_count": "Of which coding questions",
            "coding_language": "Coding language",
        }
        help_texts = {
            "coding_count": "The last questions of the interview: the candidate writes code that "
            "is run against tests. 0 = discussion only.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = bank_topic_choices()
        self.fields["bank_topics"].choices = choices  # type: ignore[attr-defined]
        keys = {key for key, _ in choices}
        position = self.instance
        if position.pk:
            self.fields["bank_topics"].initial = [t for t in position.topics if t in keys]
            self.fields["other_topics"].initial = ", ".join(
                t for t in position.topics if t not in keys
            )
            limit = position.time_limit_seconds
            self.fields["time_limit_minutes"].initial = round(limit / 60) if limit else None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        others = [t.strip() for t in data.get("other_topics", "").split(",") if t.strip()]
        try:
            self.instance.topics = position_topics_clean([*data.get("bank_topics", []), *others])
        except ValidationError as exc:
            self.add_error("bank_topics", exc.message_dict["topics"])
        coding, total = data.get("coding_count"), data.get("question_count")
        if coding is not None and total is not None and coding > total:
            self.add_error("coding_count", "There cannot be more coding questions than questions.")
        minutes = data.get("time_limit_minutes")
        self.instance.time_limit_seconds = minutes * 60 if minutes else None
        return data


class InviteForm(forms.Form):
    position = forms.ModelChoiceField(queryset=Position.objects.all())
    candidate_name = forms.CharField(label="Candidate's name", max_length=200)
    candidate_email = forms.EmailField(
        label="Candidate's email",
        required=False,
        help_text="The invitation is emailed here. Leave empty to only copy the link.",
    )

    def __init__(self, *args: Any, fixed_position: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if fixed_position:  # the position's own invite page: it is in the URL already
            self.fields["position"].widget = forms.HiddenInput()


class InviteCsvForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Two columns, name and email, one candidate per row; a header row is optional.",
    )
