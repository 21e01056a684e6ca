-- Keyed hash for personal data (contracts/warehouse.md: pii never leaves raw_*
-- in clear). HMAC-SHA256 per RFC 2104 on core sha256(), so it works on servers
-- without pgcrypto. The key is never stored in the database: dbt passes it in
-- from configuration (FDI_HOME/secrets or FDI_PSEUDONYM_KEY_FILE).
create or replace function audit.hmac_sha256(message text, key text)
returns text
language sql
immutable
parallel safe
as $$
    with raw as (
        select case when octet_length(convert_to(key, 'UTF8')) > 64
                    then sha256(convert_to(key, 'UTF8'))
                    else convert_to(key, 'UTF8') end as kb
    ),
    k as (  -- the key zero-padded to the 64-byte SHA-256 block
        select kb || decode(repeat('00', 64 - octet_length(kb)), 'hex') as block from raw
    ),
    pads as (
        select string_agg(set_byte('\x00'::bytea, 0, get_byte(block, i) # 54)::bytea, ''::bytea order by i) as ipad,
               string_agg(set_byte('\x00'::bytea, 0, get_byte(block, i) # 92)::bytea, ''::bytea order by i) as opad
        from k, generate_series(0, 63) as i
    )
    select encode(sha256(opad || sha256(ipad || convert_to(message, 'UTF8'))), 'hex')
    from pads
$$;
comment on function audit.hmac_sha256(text, text) is 'HMAC-SHA256 (RFC 2104) of a text with a key, hex; pseudonymises personal data';
