"""Data: upload prediction files, name the models, check the detected columns, choose settings, compare."""

import streamlit as st

import evaluation
from components import access, render, state

render.ensure_entrypoint()
st.title("Data")
current = state.current_spec()
if state.is_shared_view():
    st.info("**Shared view** (read-only): this comparison was shared with you, so it cannot be changed here.",
            icon=":material/link:")
    st.button("Leave shared view", key="data_leave_shared", on_click=state.leave_shared_view)
    st.write("Files: " + ", ".join(f"{render.text(filename)} ({render.text(name)})"
                                   for (filename, _), name in zip(current.files, current.names, strict=True)))
    st.stop()

origin = {"demo": "the bundled demo data", "upload": "your uploaded files", "shared": "a shared link"}[current.origin]
st.markdown(f"Now showing {origin}: " + ", ".join(
    f"{render.text(filename)} as **{render.text(name)}**" + (" (baseline)" if name == current.baseline else "")
    for (filename, _), name in zip(current.files, current.names, strict=True)) + ".")

left, right = st.columns(2)
left.button("Open the classification demo (digits)", key="data_demo_classification", icon=":material/science:",
            on_click=state.open_demo, args=("classification",))
right.button("Open the regression demo (diabetes)", key="data_demo_regression", icon=":material/science:",
             on_click=state.open_demo, args=("regression",))

st.subheader("Prediction files")
if not access.gate("upload files", "data"):
    st.stop()
st.file_uploader("Two or more prediction files of the same test set: CSV, TSV, Parquet or JSON Lines (optionally .gz). "
                 "Each needs the true label and the model's prediction and/or class probabilities.",
                 type=list(state.UPLOAD_TYPES), accept_multiple_files=True, key="data_uploader",
                 on_change=state.on_upload_change, args=("data_uploader",))
files = state.uploads()
if files:
    st.caption("Uploaded files stay loaded when you switch pages; uploading again replaces them.")
    if len(files) < 2:
        st.warning("Upload at least two files: the baseline and one or more fine-tuned versions.")
    reuse = files == list(current.files)
    digests = state.upload_digests()
    chosen_task = st.session_state.get("data_task")
    sections = [render.file_section(i, filename, content, digest,
                                    current.names[i] if reuse else evaluation.model_name(filename), "data",
                                    task=chosen_task)
                for i, ((filename, content), digest) in enumerate(zip(files, digests, strict=True))]
    names = tuple(name for name, _ in sections)
    summary = next((summary for _, summary in sections if summary is not None), None)
    options = render.mapping_inputs(summary, current.options if reuse else None,
                                    f"data_{state.uploads_signature(files, digests)}") if summary else current.options
    detected = evaluation.detect_task(files[:1], mapping=options.mapping)
else:
    st.caption("No files uploaded yet: the settings below apply to the comparison shown now.")
    files, names, options = list(current.files), current.names, current.options
    detected = evaluation.detect_task(files[:1], mapping=options.mapping)

st.subheader("Comparison")
tasks = [None, *evaluation.TASKS]
task = st.selectbox("Task", tasks, key="data_task", index=tasks.index(current.task) if current.task in tasks else 0,
                    format_func=lambda t: f"automatic (detected: {detected})" if t is None else t,
                    help="Detected from the first file: true values that are numbers, not all whole, mean regression. "
                         "Whole-number targets (counts, scores) need regression chosen here.")
baseline = st.selectbox("Baseline (the model every other is compared with)", list(names), key="data_baseline",
                        index=list(names).index(current.baseline) if current.baseline in names else 0)
settings = render.settings_inputs(current.settings, "data", task=task or detected)
general = state.upload_errors().get("")
if general:
    st.error(render.text(general), icon=":material/error:")

if st.button("Compare", type="primary", key="data_compare", icon=":material/play_arrow:",
             disabled=len(files) < 2):
    origin = "upload" if state.uploads() else current.origin
    spec = state.ComparisonSpec(files=tuple(files), names=names, baseline=baseline, options=options,
                                settings=settings, origin=origin, task=task)
    with st.status("Reading the files and computing intervals and tests...", expanded=False) as status:
        try:
            state.compute(spec)
        except evaluation.EvaluationError as error:
            status.update(label="The comparison could not be computed", state="error")
            location = state.error_location(error, spec) if state.uploads() else None
            state.upload_errors()[location or ""] = error.message
        else:
            status.update(label="Done", state="complete")
            state.upload_errors().clear()
            state.set_current_spec(spec)
    if state.upload_errors():
        st.rerun()
    st.session_state["go_to_overview"] = True  # the next run builds the navigation for the new comparison's task
    st.rerun()
