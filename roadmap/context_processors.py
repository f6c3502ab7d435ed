from roadmap.permissions import can_add_evidence, can_edit_roadmap, can_view_alignment


def roles(request):
    user = getattr(request, "user", None)
    return {
        "can_edit_roadmap": bool(user and can_edit_roadmap(user)),
        "can_add_evidence": bool(user and can_add_evidence(user)),
        "can_view_alignment": bool(user and can_view_alignment(user)),
    }
