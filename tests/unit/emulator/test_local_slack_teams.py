"""Many workspaces in one local Slack: ids unique across teams, a handle per workspace, cheap to create."""

from bot.emulator import LocalSlack


def test_a_hundred_workspaces_each_with_a_person_and_a_channel_get_ids_of_their_own():
    slack = LocalSlack()
    teams = [slack.add_workspace(f"Team {n}", installed=True) for n in range(100)]
    people = [team.add_user("ana") for team in teams]
    channels = [team.add_channel("general", members=[person]) for team, person in zip(teams, people, strict=True)]
    assert len({t.team_id for t in teams} | {slack.team_id}) == 101
    assert len({p.id for p in people}) == 100 and len(set(channels)) == 100
    assert len({t.bot_token for t in teams}) == 100 and len({t.bot_user_id for t in teams}) == 100
    assert {t.app_id for t in teams} == {slack.app_id}
    assert slack.team("Team 42") is teams[42] and slack.team(teams[7].team_id) is teams[7]
    assert people[3].slack is teams[3] and teams[3].channel_id("general") == channels[3]


def test_a_workspace_without_the_app_has_no_bot_until_it_is_installed():
    slack = LocalSlack()
    acme = slack.add_workspace("Acme")
    bob = acme.add_user("bob")
    room = acme.add_channel("room", members=[bob])
    assert not acme.installed and acme.workspace.conversations[room].members == [bob.id]
    assert slack.installed and slack.team(slack.team_id) is slack


def test_each_kind_of_request_takes_its_own_turns_over_the_replicas_and_a_retry_goes_to_the_next():
    slack = LocalSlack()
    slack.set_request_url(["http://a", "http://b"])
    engine = slack.engine
    # The app's own posts echo back as message events in between; mentions still alternate.
    mentions = []
    for _ in range(4):
        mentions.append(engine.next_url("app_mention"))
        engine.next_url("message")
    assert mentions == ["http://a", "http://b", "http://a", "http://b"]
    assert engine.next_url("app_mention", after="http://b") == "http://a"
