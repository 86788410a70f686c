"""Names that vulture finds unused but that are used: by a library that calls or reads them, or
by name in a string. Each line is a use (vulture reads this file with the code; it never runs).
Add a name here only with the caller that uses it."""

# api/app.py: started by name, `uvicorn --factory policykg.api.app:from_environment` (docs/api.md)
from_environment
# api/server.py: uvicorn's H11Protocol calls it on a request that is not HTTP
send_400_response
# html.parser.HTMLParser calls these (tests/test_hostile_output.py)
handle_starttag
handle_endtag
handle_data
# selenium reads ChromeOptions.binary_location when it starts the browser
_.binary_location
# uvicorn.Server polls should_exit in its main loop
_.should_exit
# python-docx properties: setting them writes the document (tests/data/docs/make_docx.py)
_.alignment
_.first_line_indent
_.author
_.last_modified_by
_.keywords
_.comments
_.revision
_.created
_.modified
_.last_printed
# zipfile.ZipInfo fields written into the archive (tests/data/docs/make_docx.py)
_.compress_type
_.external_attr
# Fields of the typed read API's replies: serialized by FastAPI (api/rest.py response models) and
# read by the page templates (api/templates/resource.html)
_.evidence_for
_.total_spans
_.predicate_iri
_.links_in
_.links_in_truncated
# api/templates/compare.html reads the chart's fields; /api/compare serializes every field of
# policykg.graph.compare.ComparedTarget (issuer among them)
_.colour
_.x_ticks
_.left_out
_.height
_.margin
_.issuer
# /api/diff serializes both tasks' texts of a match (policykg.graph.plan_diff.TaskMatch)
_.a_text
_.b_text
