"""Using implassess from Python (a notebook, a script): sample data → scores → report.

Run it with: .venv/bin/python examples/api_example.py [OUT_DIR]
"""

import sys
import tempfile
from pathlib import Path

import implassess as ia

out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
ia.make_sample(out / "data", seed=11)

clarity = ia.load_instrument("clarity-gaps")
# The sample holds a baseline and a follow-up wave; waves are never pooled, so name one.
responses = ia.read_responses(out / "data" / "org-survey.csv", clarity, duplicates="latest", wave="baseline")
print(f"{responses.n} respondents accepted, {len(responses.rejected)} rows rejected of {responses.rows_read} read")

result = ia.score(responses, by=["site"], min_group_size=5)
for dim in result.profile.organisation.dimensions:
    print(
        f"{dim.id:<20} score {dim.score_0_100:5.1f}  level {dim.level}  alpha {dim.alpha:.2f}  rwg(j) {dim.rwg_j:.2f}"
    )
for action in result.profile.actions[:3]:
    print(f"action {action.rank}: {action.title} ({action.priority})")

pdf = ia.render_report([result], out / "clarity-report.pdf", client="Northbridge Health", heatmap_by="site")
print(f"report: {pdf}")
