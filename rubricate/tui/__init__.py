"""The terminal UI (Textual): the rubric editor and the calibration review.

``rubricate edit RUBRIC`` runs :class:`rubricate.tui.editor.app.EditorApp`;
``rubricate review RUN_DIR`` runs :class:`rubricate.tui.review.app.ReviewApp`. Only this
package imports Textual; what the apps compute lives in Textual-free modules
(:mod:`rubricate.rubrics.edit`, :mod:`rubricate.calibration.run.directory`,
:mod:`rubricate.tui.review.data`, :mod:`rubricate.tui.editor.document`) that tests call
directly. Styles live in ``.tcss`` files next to each app; colours come from the theme's
variables only, so light and dark themes both read well.
"""
