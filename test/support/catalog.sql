-- Everything the extension defines, as sorted text lines that two databases can be diffed by:
-- tables, columns, defaults, storage options, indexes, constraints, triggers, policies,
-- sequences, types, functions and procedures with bodies and settings, views, privileges
-- (object and column, sorted: grant order does not matter), initial privileges (what pg_dump
-- restores), comments of every member and column, extension membership and dump configuration.
-- (pg_dump prints only CREATE EXTENSION for an extension's members: the catalogs are read.)
-- A NULL ACL means the owner's default privileges: a GRANT then REVOKE writes those out
-- explicitly, with the same meaning, so both read as acldefault; likewise the owner's own
-- entries in initial privileges.
WITH members AS (
  SELECT d.classid, d.objid FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
  WHERE e.extname = 'message_center' AND d.deptype = 'e'),
rels AS (SELECT c.* FROM pg_class c WHERE c.relnamespace = 'mc'::regnamespace),
acl AS (  -- one line per grantee and privilege, whatever order the GRANTs ran in
  SELECT x.what, x.grantee::regrole::text || ':' || x.privilege_type || CASE WHEN x.is_grantable THEN '*' ELSE '' END AS line
  FROM (SELECT 'rel ' || c.relname AS what, (aclexplode(coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner)))).* FROM rels c
        UNION ALL
        SELECT 'col ' || c.relname || '.' || a.attname, (aclexplode(a.attacl)).*
        FROM pg_attribute a JOIN rels c ON c.oid = a.attrelid WHERE a.attacl IS NOT NULL
        UNION ALL
        SELECT 'fn ' || p.oid::regprocedure::text, (aclexplode(coalesce(p.proacl, acldefault('f'::"char", p.proowner)))).*
        FROM pg_proc p WHERE p.pronamespace = 'mc'::regnamespace
        UNION ALL
        SELECT 'type ' || t.oid::regtype::text, (aclexplode(coalesce(t.typacl, acldefault('T'::"char", t.typowner)))).*
        FROM pg_type t WHERE t.typnamespace = 'mc'::regnamespace
        UNION ALL
        SELECT 'schema mc', (aclexplode(coalesce(n.nspacl, acldefault('n'::"char", n.nspowner)))).* FROM pg_namespace n WHERE n.nspname = 'mc') x
  WHERE x.grantee <> 0)
SELECT line FROM (
  SELECT format('rel %s kind=%s persistence=%s options=%s rls=%s', c.relname, c.relkind,
                c.relpersistence, c.reloptions, c.relrowsecurity) AS line FROM rels c
  UNION ALL
  SELECT format('col %s.%s #%s %s notnull=%s default=%s identity=%s generated=%s storage=%s collation=%s',
                c.relname, a.attname, a.attnum, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated, a.attstorage,
                a.attcollation::regcollation)
  FROM pg_attribute a JOIN rels c ON c.oid = a.attrelid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT format('con %s %s %s deferrable=%s', n.conrelid::regclass, n.conname,
                pg_get_constraintdef(n.oid), n.condeferrable)
  FROM pg_constraint n WHERE n.connamespace = 'mc'::regnamespace
  UNION ALL
  SELECT format('idx %s', pg_get_indexdef(i.indexrelid))
  FROM pg_index i JOIN rels c ON c.oid = i.indexrelid
  UNION ALL
  SELECT format('view %s %s', c.relname, pg_get_viewdef(c.oid)) FROM rels c WHERE c.relkind IN ('v', 'm')
  UNION ALL
  SELECT format('seq %s %s start=%s inc=%s min=%s max=%s cache=%s cycle=%s', c.relname,
                s.seqtypid::regtype, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle)
  FROM pg_sequence s JOIN rels c ON c.oid = s.seqrelid
  UNION ALL
  SELECT format('fn %s', pg_get_functiondef(p.oid))
  FROM pg_proc p WHERE p.pronamespace = 'mc'::regnamespace AND p.prokind IN ('f', 'p')
  UNION ALL
  SELECT format('trg %s enabled=%s', pg_get_triggerdef(t.oid), t.tgenabled)
  FROM pg_trigger t JOIN rels c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal
  UNION ALL
  SELECT format('policy %s.%s %s %s roles=%s using=%s check=%s', c.relname, p.polname, p.polcmd,
                p.polpermissive, p.polroles::regrole[], pg_get_expr(p.polqual, p.polrelid),
                pg_get_expr(p.polwithcheck, p.polrelid))
  FROM pg_policy p JOIN rels c ON c.oid = p.polrelid
  UNION ALL
  SELECT format('type %s %s %s', t.typname, t.typtype, (SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder)
                                                      FROM pg_enum e WHERE e.enumtypid = t.oid))
  FROM pg_type t WHERE t.typnamespace = 'mc'::regnamespace AND t.typtype IN ('e', 'd', 'c')
    AND NOT EXISTS (SELECT FROM pg_class c WHERE c.reltype = t.oid)
  UNION ALL
  SELECT format('grant %s %s', a.what, string_agg(a.line, ' ' ORDER BY a.line)) FROM acl a GROUP BY a.what
  UNION ALL
  SELECT format('initpriv %s %s', pg_describe_object(i.classoid, i.objoid, i.objsubid), p.privs)
  FROM pg_init_privs i
  CROSS JOIN LATERAL (SELECT string_agg(x.grantee::regrole::text || ':' || x.privilege_type, ' '
                                        ORDER BY x.grantee::regrole::text, x.privilege_type) AS privs
                      FROM aclexplode(i.initprivs) x
                      WHERE x.grantee NOT IN (0, (SELECT e.extowner FROM pg_extension e
                                                  WHERE e.extname = 'message_center'))) p
  WHERE (i.classoid, i.objoid) IN (SELECT classid, objid FROM members) AND p.privs IS NOT NULL
  UNION ALL
  SELECT format('comment %s: %s', pg_describe_object(d.classoid, d.objoid, d.objsubid), d.description)
  FROM pg_description d WHERE (d.classoid, d.objoid) IN (SELECT classid, objid FROM members)
  UNION ALL
  SELECT format('member %s', pg_describe_object(m.classid, m.objid, 0)) FROM members m
  UNION ALL
  SELECT format('dump %s %s', c::regclass, x.extcondition[i])
  FROM pg_extension x, unnest(x.extconfig) WITH ORDINALITY AS u (c, i)
  WHERE x.extname = 'message_center'
) o ORDER BY line;
