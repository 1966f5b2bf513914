"""Data: keep prediction files (add, replace, remove), name the models, choose the baseline, check the detected
columns, choose settings, add a file of preference judgments (generation) and fine-tuning data to search for the
test examples (leakage), compare."""

import streamlit as st

import evaluation
from components import access, leakage, preferences, render, state, uploads

render.ensure_entrypoint()
st.title("Data")
current = state.current_spec()
if state.is_shared_view():
    st.info("**Shared view** (read-only): this comparison was shared with you, so it cannot be changed here.",
            icon=":material/link:")
    st.button("Leave shared view", key="data_leave_shared", on_click=state.leave_shared_view)
    st.write("Files: " + ", ".join(f"{render.text(filename)} ({render.text(name)})"
                                   for (filename, _), name in zip(current.files, current.names, strict=True))
             + (f"; preference judgments: {render.text(current.judgments[0])}" if current.judgments else "")
             + (f"; fine-tuning data: {', '.join(render.text(f) for f, _ in current.training)}" if current.training
                else ""))
    st.stop()

origin = {"demo": "the bundled demo data", "upload": "your uploaded files", "shared": "a shared link"}[current.origin]
st.markdown(f"Now showing {origin}: " + ", ".join(
    f"{render.text(filename)} as **{render.text(name)}**" + (" (baseline)" if name == current.baseline else "")
    for (filename, _), name in zip(current.files, current.names, strict=True))
    + (f", with the preference judgments {render.text(current.judgments[0])}" if current.judgments else "")
    + (f", checked against the fine-tuning data {', '.join(render.text(f) for f, _ in current.training)}"
       if current.training else "") + ".")

left, middle, right = st.columns(3)
left.button("Open the classification demo (digits)", key="data_demo_classification", icon=":material/science:",
            on_click=state.open_demo, args=("classification",))
middle.button("Open the regression demo (diabetes)", key="data_demo_regression", icon=":material/science:",
              on_click=state.open_demo, args=("regression",))
right.button("Open the text-generation demo (translation)", key="data_demo_generation", icon=":material/science:",
             on_click=state.open_demo, args=("generation",))

st.subheader("Prediction files")
if not access.gate("upload files", "data"):
    st.stop()
# The files are kept in the session (the uploader's own state is lost when another page is shown); the uploader
# only adds to them, then empties itself.
uploader_key = uploads.uploader_key()
replacing = uploads.replacing()
if replacing:
    st.file_uploader(f"The corrected file for **{render.text(replacing)}**: it takes its place, its model name and "
                     "its role", type=list(uploads.UPLOAD_TYPES), key=uploader_key, on_change=uploads.on_upload_change,
                     args=(uploader_key,))
    st.button("Cancel replacing", key="data_cancel_replace", on_click=uploads.stop_replacing)
else:
    st.file_uploader("Add prediction files of the same test set: CSV, TSV, Parquet or JSON Lines (optionally .gz). "
                     "Each needs the true label and the model's prediction and/or class probabilities. A file named "
                     "like one in the list replaces it.", type=list(uploads.UPLOAD_TYPES), accept_multiple_files=True,
                     key=uploader_key, on_change=uploads.on_upload_change, args=(uploader_key,))
entries = uploads.upload_set()
if entries:
    st.caption(f"{len(entries)} file{'s' if len(entries) > 1 else ''} kept in this session: they stay when you switch "
               "pages. Add more above; replace or remove one below.")
    if len(entries) < 2:
        st.warning("Upload at least two files: the baseline and one or more fine-tuned versions.")
    files = uploads.uploads()
    reuse = files == list(current.files)
    baseline_file = uploads.upload_baseline()
    chosen_task = st.session_state.get("data_task")
    sections = [render.file_section(i, entry.filename, entry.content, entry.digest, entry.name, "data",
                                    task=chosen_task, baseline=entry.filename == baseline_file)
                for i, entry in enumerate(entries)]
    names = tuple(name for name, _ in sections)
    uploads.set_upload_names(names)
    summary = next((summary for _, summary in sections if summary is not None), None)
    signature = uploads.uploads_signature(files, uploads.upload_digests())
    options = render.mapping_inputs(summary, current.options if reuse else None,
                                    f"data_{signature}") if summary else current.options
    choices = [entry.filename for entry in entries]  # the baseline is chosen by file: model names can be edited
    labels = {filename: f"{name} ({filename})" for filename, name in zip(choices, names, strict=True)}
    default = choices.index(baseline_file) if baseline_file in choices else 0
else:
    st.caption("No files uploaded yet: the settings below apply to the comparison shown now.")
    files, names, options = list(current.files), current.names, current.options
    choices = list(names)
    labels = {name: name for name in names}
    default = choices.index(current.baseline) if current.baseline in choices else 0
detected = evaluation.detect_task(files[:1], mapping=options.mapping)

st.subheader("Comparison")
tasks = [None, *evaluation.TASKS]
# The options' labels never change (the browser sends a label back; one that named the detected task went stale when
# the files changed): the detected task is in the caption.
task = st.selectbox("Task", tasks, key="data_task", index=tasks.index(current.task) if current.task in tasks else 0,
                    format_func=lambda t: "automatic" if t is None else t,
                    help="Detected from the first file: outputs with references (or a language model's nll and "
                         "n_tokens) mean generation; true values that are numbers, not all whole, mean regression. "
                         "Whole-number targets (counts, scores) need regression chosen here.")
st.caption(f"Detected from the first file: **{detected}**" + ("" if task in (None, detected) else f"; chosen: **{task}**"))
chosen = st.selectbox("Baseline (the model every other is compared with)", choices, key="data_baseline", index=default,
                      format_func=lambda choice: labels.get(choice, str(choice)),
                      on_change=(lambda: uploads.set_upload_baseline(st.session_state["data_baseline"])) if entries else None)
baseline = names[choices.index(chosen)] if chosen in choices else names[default]
settings = render.settings_inputs(current.settings, "data", task=task or detected)

judgments, judgments_problem = None, None
if (task or detected) == "generation":  # a judge's preferences between the outputs, shown beside the metrics
    judgments, judgments_problem = preferences.judgments_section(
        names, baseline, shown=None if entries else current.judgments, key_prefix="data")
training, training_problem = leakage.training_section(shown=current.training, key_prefix="data")
general = uploads.upload_errors().get("")
if general:
    st.error(render.text(general), icon=":material/error:")

if st.button("Compare", type="primary", key="data_compare", icon=":material/play_arrow:",
             disabled=len(files) < 2):
    if judgments_problem:  # the comparison shown stays; the file's error is beside it
        uploads.upload_errors()[""] = ("The preference judgments cannot be read (the error is beside the file): "
                                       "correct the file or remove it, then Compare.")
        st.rerun()
    if training_problem:
        uploads.upload_errors()[""] = ("The fine-tuning data cannot be read (the error is beside the file): correct the "
                                       "file or remove it, then Compare.")
        st.rerun()
    origin = "upload" if uploads.uploads() else current.origin
    spec = state.ComparisonSpec(files=tuple(files), names=names, baseline=baseline, options=options,
                                settings=settings, origin=origin, task=task, judgments=judgments,
                                training=training)
    with st.status("Reading the files and computing intervals and tests...", expanded=False) as status:
        try:
            results = state.compute(spec)
            if spec.judgments is not None and isinstance(results, state.GenerationResults):
                preferences.preferences(spec.key, results.report, results.data, spec.judgments)  # ids, models
            if spec.training:  # the test examples in the fine-tuning data, and the comparison without them
                leakage.leakage(spec, results.report)
        except evaluation.EvaluationError as error:
            status.update(label="The comparison could not be computed", state="error")
            location = state.error_location(error, spec) if uploads.uploads() else None
            if spec.judgments is not None and error.file == spec.judgments[0] and uploads.judgments_upload():
                location = spec.judgments[0]  # shown beside the judgments file
            location = leakage.error_location(error, spec) or location  # beside the fine-tuning file
            uploads.upload_errors()[location or ""] = error.message
        else:
            status.update(label="Done", state="complete")
            uploads.upload_errors().clear()
            state.set_current_spec(spec)
    if uploads.upload_errors():
        st.rerun()
    st.session_state["go_to_overview"] = True  # the next run builds the navigation for the new comparison's task
    st.rerun()
