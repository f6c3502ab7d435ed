from roadmap.permissions import can_add_evidence, can_edit_roadmap


def roles(request):
    user = getattr(request, "user", None)
    return {
        "can_edit_roadmap": bool(user and can_edit_roadmap(user)),
        "can_add_evidence": bool(user and can_add_evidence(user)),
    }
