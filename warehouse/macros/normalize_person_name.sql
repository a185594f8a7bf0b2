-- A person's name as a matching key: accents stripped, lower-cased, punctuation
-- turned into single spaces ("José Raúl Romero" -> "jose raul romero"). Initials
-- stay initials: "H. Sompolinsky" does not match "Haim Sompolinsky" (a name is
-- weak evidence; the models that call this always want a second signal).
nullif(trim(regexp_replace(lower(strip_accents(name)), '[^a-z0-9]+', ' ', 'g')), '')
