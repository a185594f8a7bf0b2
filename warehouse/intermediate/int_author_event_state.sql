-- Grain: one row per author with platform events: followers, claim, verification.
-- A redelivered event (same event_id) counts once, at its first delivery.
-- Followers count actors whose latest follow/unfollow event is a follow (ties on
-- occurred_at broken by event id); events without an actor follow nobody.
with

deliveries as (
    select * from stg_platform__events
),

events as (
    select *
    from deliveries
    qualify row_number() over (
        partition by event_id
        order by ingest_date, source_file, line_number
    ) = 1
),

follow_state as (
    select
        author_id,
        actor_id,
        arg_max(event_type, (occurred_at, event_id)) as last_follow_event
    from events
    where event_type in ('author.followed', 'author.unfollowed')
        and actor_id is not null
    group by author_id, actor_id
),

followers as (
    select author_id, count(*) filter (where last_follow_event = 'author.followed') as followers_count
    from follow_state
    group by author_id
),

flags as (
    select
        author_id,
        bool_or(event_type = 'author.claimed') as is_claimed,
        bool_or(event_type = 'author.verified') as is_verified
    from events
    group by author_id
),

final as (
    select
        flags.author_id,
        coalesce(followers.followers_count, 0)::bigint as followers_count,
        flags.is_claimed,
        flags.is_verified
    from flags
    left join followers on followers.author_id = flags.author_id
)

select * from final
