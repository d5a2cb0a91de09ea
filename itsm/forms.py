"""The site's form renderer: every field is drawn by one template, in the GOV.UK error pattern."""

from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    # TemplatesSetting looks in the project's templates/ too, so templates/forms/ can override Django's.
    field_template_name = "forms/field.html"
