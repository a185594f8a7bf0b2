-- A title's matching key: accents stripped, lower-cased, everything but letters
-- and digits dropped ("Connecting NTK and NNGP: A Unified…" -> "connectingntkandnngpaunified…").
-- Written once here; every model that matches works on titles calls it.
nullif(regexp_replace(lower(strip_accents(title)), '[^a-z0-9]+', '', 'g'), '')
