-- A stable id in the OpenAlex id form (letter + digits) for a record that has
-- no OpenAlex id: the letter, then "9", then 18 digits of the MD5 of `key`.
-- OpenAlex ids have at most 11 digits, so these 19-digit ids never collide with
-- them; the same key always gives the same id, on every build and machine.
letter || '9' || lpad((md5_number(key) % 1000000000000000000)::varchar, 18, '0')
