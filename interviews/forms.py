from django import forms

from interviews.models import Difficulty


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
