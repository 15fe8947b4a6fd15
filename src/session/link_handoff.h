/* Handing the probe links to a child that outlives cattop, for a target
 * that exec'd (see link_handoff.c): closing them there is slow. */
#ifndef CATTOP_LINK_HANDOFF_H
#define CATTOP_LINK_HANDOFF_H

/* A child takes over every open fd (the links among them) and lets go of
 * them once cattop has exited. */
void link_handoff_to_child(void);

#endif
