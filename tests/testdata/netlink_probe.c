// netlink_probe: how a program discovers the network interfaces, through
// glibc (getifaddrs, if_nameindex, if_nametoindex), the SIOCGIF* ioctls
// on an IP socket, and a raw NETLINK_ROUTE socket. It prints only what
// concerns lo, so that its output under ward (where lo is the only
// interface) matches a native run on a host with more.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *addr(const struct sockaddr *sa, char *buf, size_t n) {
  if (!sa) return "-";
  if (sa->sa_family == AF_INET)
    return inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, n);
  if (sa->sa_family == AF_INET6)
    return inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, n);
  snprintf(buf, n, "family%d", sa->sa_family);
  return buf;
}

static void glibc(void) {
  struct ifaddrs *ifs, *i;
  char a[64], m[64];
  if (getifaddrs(&ifs) != 0) {
    printf("getifaddrs: %s\n", strerror(errno));
    return;
  }
  for (i = ifs; i; i = i->ifa_next) {
    if (strcmp(i->ifa_name, "lo") != 0) continue;
    printf("getifaddrs %s family %d addr %s netmask %s flags %#x\n", i->ifa_name,
           i->ifa_addr ? i->ifa_addr->sa_family : -1, addr(i->ifa_addr, a, sizeof a),
           addr(i->ifa_netmask, m, sizeof m), i->ifa_flags);
  }
  freeifaddrs(ifs);
  struct if_nameindex *ni = if_nameindex(), *p;
  if (!ni) {
    printf("if_nameindex: %s\n", strerror(errno));
  } else {
    for (p = ni; p->if_index; p++)
      if (strcmp(p->if_name, "lo") == 0) printf("if_nameindex %u %s\n", p->if_index, p->if_name);
    if_freenameindex(ni);
  }
  // glibc asks these through an AF_UNIX socket.
  char name[IF_NAMESIZE];
  unsigned lo = if_nametoindex("lo");
  printf("if_nametoindex lo %u, if_indextoname %s, if_nametoindex nope0 %u\n", lo,
         if_indextoname(lo, name) ? name : "?", if_nametoindex("nope0"));
}

static void ioctls(void) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct ifreq r;
  char a[64];
  memset(&r, 0, sizeof r);
  strcpy(r.ifr_name, "lo");
  if (ioctl(fd, SIOCGIFINDEX, &r) == 0) printf("SIOCGIFINDEX %d\n", r.ifr_ifindex);
  else printf("SIOCGIFINDEX: %s\n", strerror(errno));
  if (ioctl(fd, SIOCGIFFLAGS, &r) == 0) printf("SIOCGIFFLAGS %#x\n", (unsigned short)r.ifr_flags);
  if (ioctl(fd, SIOCGIFMTU, &r) == 0) printf("SIOCGIFMTU %d\n", r.ifr_mtu);
  if (ioctl(fd, SIOCGIFADDR, &r) == 0) printf("SIOCGIFADDR %s\n", addr(&r.ifr_addr, a, sizeof a));
  if (ioctl(fd, SIOCGIFNETMASK, &r) == 0) printf("SIOCGIFNETMASK %s\n", addr(&r.ifr_netmask, a, sizeof a));
  memset(&r, 0, sizeof r);
  r.ifr_ifindex = 1;
  if (ioctl(fd, SIOCGIFNAME, &r) == 0) printf("SIOCGIFNAME %s\n", r.ifr_name);
  strcpy(r.ifr_name, "nosuchif0");
  printf("SIOCGIFFLAGS nosuchif0: %s\n", ioctl(fd, SIOCGIFFLAGS, &r) == 0 ? "ok" : strerror(errno));
  struct ifreq reqs[32];
  struct ifconf c = {.ifc_len = sizeof reqs, .ifc_req = reqs};
  if (ioctl(fd, SIOCGIFCONF, &c) == 0) {
    for (int i = 0; i < c.ifc_len / (int)sizeof(struct ifreq); i++)
      if (strcmp(reqs[i].ifr_name, "lo") == 0)
        printf("SIOCGIFCONF %s %s\n", reqs[i].ifr_name, addr(&reqs[i].ifr_addr, a, sizeof a));
  }
  c.ifc_buf = NULL;
  c.ifc_len = 0;
  printf("SIOCGIFCONF NULL: %s\n", ioctl(fd, SIOCGIFCONF, &c) == 0 && c.ifc_len > 0 ? "length" : strerror(errno));
  close(fd);
}

// request sends one message of type with flags and payload.
static void request(int fd, int type, int flags, const void *payload, int n) {
  char buf[256];
  struct nlmsghdr *h = (struct nlmsghdr *)buf;
  memset(buf, 0, sizeof buf);
  h->nlmsg_len = NLMSG_LENGTH(n);
  h->nlmsg_type = type;
  h->nlmsg_flags = flags;
  h->nlmsg_seq = 7;
  memcpy(NLMSG_DATA(h), payload, n);
  struct sockaddr_nl to = {.nl_family = AF_NETLINK};
  if (sendto(fd, buf, h->nlmsg_len, 0, (struct sockaddr *)&to, sizeof to) < 0)
    printf("sendto: %s\n", strerror(errno));
}

// replies prints the types (and errors) of the messages queued, without
// waiting.
static void replies(int fd, const char *what) {
  static char buf[65536];
  printf("%s:", what);
  for (;;) {
    struct sockaddr_nl from;
    socklen_t fl = sizeof from;
    ssize_t peek = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
    ssize_t n = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
    if (n < 0) {
      printf(" (%s)\n", errno == EAGAIN ? "EAGAIN" : strerror(errno));
      return;
    }
    if (peek != n || from.nl_pid != 0 || fl != sizeof from) printf(" [peek %zd n %zd from %u]", peek, n, from.nl_pid);
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *e = NLMSG_DATA(h);
        printf(" error(%s)", e->error ? strerror(-e->error) : "ack");
      } else if (h->nlmsg_type == NLMSG_DONE) {
        printf(" done");
      } else if (h->nlmsg_type == RTM_NEWLINK) {
        struct ifinfomsg *ifi = NLMSG_DATA(h);
        if (ifi->ifi_index == 1) printf(" link(lo %#x)", ifi->ifi_flags);
      } else if (h->nlmsg_type == RTM_NEWADDR) {
        struct ifaddrmsg *ifa = NLMSG_DATA(h);
        if (ifa->ifa_index == 1) printf(" addr(%d/%d)", ifa->ifa_family, ifa->ifa_prefixlen);
      } else {
        printf(" type%d", h->nlmsg_type);
      }
      if (h->nlmsg_seq != 7) printf("[seq %u]", h->nlmsg_seq);
    }
  }
}

static void raw(void) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) {
    printf("socket(AF_NETLINK): %s\n", strerror(errno));
    return;
  }
  printf("socket(AF_NETLINK, SOCK_STREAM): %s\n",
         socket(AF_NETLINK, SOCK_STREAM, NETLINK_ROUTE) < 0 ? strerror(errno) : "ok");
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  socklen_t sl = sizeof sa;
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) printf("bind: %s\n", strerror(errno));
  getsockname(fd, (struct sockaddr *)&sa, &sl);
  printf("getsockname family %d len %u pid set %d\n", sa.nl_family, sl, sa.nl_pid != 0);
  printf("bind again other pid: %s\n", (sa.nl_pid++, bind(fd, (struct sockaddr *)&sa, sizeof sa)) == 0 ? "ok" : strerror(errno));

  struct ifinfomsg ifi = {.ifi_index = 1};
  request(fd, RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, &ifi, sizeof ifi);
  replies(fd, "getlink 1 ack");
  ifi.ifi_index = 999999;
  request(fd, RTM_GETLINK, NLM_F_REQUEST, &ifi, sizeof ifi);
  replies(fd, "getlink 999999");
  struct rtgenmsg g = {.rtgen_family = AF_UNSPEC};
  request(fd, RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, &g, sizeof g);
  replies(fd, "getlink dump");
  g.rtgen_family = AF_INET6;
  request(fd, RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, &g, sizeof g);
  replies(fd, "getaddr dump inet6");
  // Not a request: acknowledged only.
  request(fd, RTM_GETLINK, NLM_F_ACK, &g, sizeof g);
  replies(fd, "no NLM_F_REQUEST");

  // Garbage: a truncated header, a length past the buffer, a huge one.
  char junk[64];
  memset(junk, 0xff, sizeof junk);
  struct sockaddr_nl to = {.nl_family = AF_NETLINK};
  printf("send 10 bytes: %zd\n", sendto(fd, junk, 10, 0, (struct sockaddr *)&to, sizeof to));
  struct nlmsghdr *h = (struct nlmsghdr *)junk;
  h->nlmsg_len = 60;
  printf("send len past end: %zd\n", sendto(fd, junk, 32, 0, (struct sockaddr *)&to, sizeof to));
  h->nlmsg_len = 0xffffffff;
  printf("send huge len: %zd\n", sendto(fd, junk, 64, 0, (struct sockaddr *)&to, sizeof to));
  replies(fd, "after garbage");
  close(fd);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  glibc();
  ioctls();
  raw();
  return 0;
}
